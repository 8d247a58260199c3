//! A throw-away certificate authority for TLS tests: a CA and a server
//! certificate for `localhost` and 127.0.0.1, written as PEM files.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

pub struct TestCa {
    /// The CA certificate a client must trust.
    pub ca_file: PathBuf,
    /// The server's certificate (signed by the CA) and its private key.
    pub certificate: PathBuf,
    pub private_key: PathBuf,
}

impl TestCa {
    pub fn create(dir: &Path) -> TestCa {
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("no names");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "Hookswitch test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().expect("CA key");
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::new(ca, ca_key);

        let mut server =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
                .expect("valid names");
        server
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        server.use_authority_key_identifier_extension = true;
        server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        server.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = KeyPair::generate().expect("server key");
        let server_cert = server
            .signed_by(&server_key, &issuer)
            .expect("server certificate");

        let write = |name: &str, pem: String| {
            let path = dir.join(name);
            std::fs::write(&path, pem).expect("write PEM");
            path
        };
        TestCa {
            ca_file: write("ca.pem", ca_cert.pem()),
            certificate: write("server.pem", server_cert.pem()),
            private_key: write("server.key", server_key.serialize_pem()),
        }
    }
}
