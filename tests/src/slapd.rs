//! OpenLDAP's slapd (Debian `slapd`) as a corporate directory: a generated
//! slapd.conf (mdb, the inetOrgPerson schema, substring indexes on names and
//! numbers), TLS from a throw-away CA for ldaps:// and StartTLS, and N
//! people loaded with slapadd before it starts. Anonymous reads are
//! allowed; `cn=reader` binds with [`READER_PASSWORD`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::Process;
use crate::tls::TestCa;

pub const BASE: &str = "ou=people,dc=example,dc=com";
pub const READER_DN: &str = "cn=reader,dc=example,dc=com";
pub const READER_PASSWORD: &str = "reader-secret";

const GIVEN: &[&str] = &[
    "Anna", "Bernd", "Chloé", "Dmitri", "Élodie", "Jörg", "Lars", "Inés",
];
const FAMILY: &[&str] = &[
    "Müller", "Dubois", "Kowalski", "García", "Schmidt", "Nowak", "Brown",
];
const DEPARTMENTS: &[&str] = &["Sales", "Support", "Finance", "Research"];

/// The people: `(uid, cn, telephoneNumber, department)`. Person 0 is Ayşe
/// Öztürk at +49 30 5551 777; person n (n >= 1) has +49 40 n (7 digits).
pub fn person(n: usize) -> (String, String, String, &'static str) {
    if n == 0 {
        return (
            "ayse".into(),
            "Ayşe Öztürk".into(),
            "+49 30 5551 777".into(),
            "Sales",
        );
    }
    (
        format!("u{n}"),
        format!(
            "{} {} {n}",
            GIVEN[n % GIVEN.len()],
            FAMILY[n % FAMILY.len()]
        ),
        format!("+49 40 {n:07}"),
        DEPARTMENTS[n % DEPARTMENTS.len()],
    )
}

pub struct Slapd {
    pub port: u16,
    pub ldaps_port: u16,
    pub ca_file: PathBuf,
    dir: PathBuf,
    conf: PathBuf,
    process: Option<Process>,
}

impl Slapd {
    /// Writes the configuration and loads `people` entries.
    pub fn configure(dir: &Path, people: usize) -> Slapd {
        let dir = dir.join("slapd");
        std::fs::create_dir_all(dir.join("db")).expect("slapd dir");
        let ca = TestCa::create(&dir);
        let conf = dir.join("slapd.conf");
        let d = dir.display();
        std::fs::write(
            &conf,
            format!(
                "include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {d}/slapd.pid
argsfile {d}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile {ca}
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}
sizelimit 1000
database mdb
maxsize 268435456
suffix \"dc=example,dc=com\"
rootdn \"cn=admin,dc=example,dc=com\"
rootpw admin-secret
directory {d}/db
index objectClass eq
index cn,sn,givenName,mail eq,sub
index telephoneNumber,mobile eq,sub
access to attrs=userPassword by anonymous auth by * none
access to * by * read
",
                ca = ca.ca_file.display(),
                cert = ca.certificate.display(),
                key = ca.private_key.display(),
            ),
        )
        .expect("slapd.conf");
        let ldif = dir.join("people.ldif");
        std::fs::write(&ldif, people_ldif(people)).expect("LDIF");
        let out = Command::new("/usr/sbin/slapadd")
            .arg("-q")
            .arg("-f")
            .arg(&conf)
            .arg("-l")
            .arg(&ldif)
            .output()
            .expect("slapadd (Debian slapd)");
        assert!(
            out.status.success(),
            "slapadd failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Slapd {
            port: crate::free_port(),
            ldaps_port: crate::free_port(),
            ca_file: ca.ca_file,
            dir,
            conf,
            process: None,
        }
    }

    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// `ldaps://localhost:PORT` (the certificate names localhost).
    pub fn ldaps_url(&self) -> String {
        format!("ldaps://localhost:{}", self.ldaps_port)
    }

    /// Starts slapd in the foreground and waits until it accepts.
    pub fn start(&mut self) {
        let mut cmd = Command::new("/usr/sbin/slapd");
        cmd.arg("-f")
            .arg(&self.conf)
            .arg("-h")
            .arg(format!(
                "ldap://127.0.0.1:{}/ ldaps://127.0.0.1:{}/",
                self.port, self.ldaps_port
            ))
            .args(["-d", "0"]);
        let p = Process::spawn(&format!("slapd-{}", self.port), cmd, &self.dir);
        crate::wait_tcp_listening(&p, self.port, Duration::from_secs(15));
        self.process = Some(p);
    }

    /// Stops it (as a server going down: connections are refused after).
    pub fn stop(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.stop();
        }
    }

    pub fn log(&self) -> String {
        self.process.as_ref().map(Process::log).unwrap_or_default()
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

fn people_ldif(people: usize) -> String {
    let mut out = String::with_capacity(people * 300);
    out.push_str(
        "dn: dc=example,dc=com\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example AG\n\n\
dn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n\n",
    );
    let _ = write!(
        out,
        "dn: {READER_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: reader\nuserPassword: {READER_PASSWORD}\n\n"
    );
    for n in 0..people {
        let (uid, cn, phone, department) = person(n);
        let family = cn.split(' ').nth(1).unwrap_or("x").to_string();
        let given = cn.split(' ').next().unwrap_or("x").to_string();
        let _ = write!(
            out,
            "dn: uid={uid},{BASE}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
        );
        for (attr, value) in [
            ("cn", cn.as_str()),
            ("sn", family.as_str()),
            ("givenName", given.as_str()),
            ("ou", department),
        ] {
            if value.is_ascii() {
                let _ = writeln!(out, "{attr}: {value}");
            } else {
                let _ = writeln!(out, "{attr}:: {}", base64(value.as_bytes()));
            }
        }
        let _ = write!(
            out,
            "o: Example AG\ntelephoneNumber: {phone}\nmail: {uid}@example.com\n\n"
        );
    }
    out
}

/// LDIF's base64 for values that are not plain ASCII (RFC 2849).
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_as_rfc_4648_says() {
        assert_eq!(super::base64(b"Man"), "TWFu");
        assert_eq!(super::base64(b"Ma"), "TWE=");
        assert_eq!(super::base64(b"M"), "TQ==");
    }
}
