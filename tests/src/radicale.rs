//! Radicale (Debian `radicale`) as a CardDAV server: an htpasswd user
//! (`alice` / [`PASSWORD`]), address books made on disk before it starts,
//! and cards put, changed and deleted over HTTP as another client would
//! (curl), so the phone's sync meets what a real server does.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::Process;

pub const USER: &str = "alice";
pub const PASSWORD: &str = "alice-dav";

pub struct Radicale {
    pub port: u16,
    dir: PathBuf,
    config: PathBuf,
    process: Option<Process>,
}

impl Radicale {
    /// Configures a server whose user has the address books `books`
    /// (collection name, display name), empty.
    pub fn configure(dir: &Path, books: &[(&str, &str)]) -> Radicale {
        let dir = dir.join("radicale");
        let root = dir.join("collections/collection-root").join(USER);
        for (name, display) in books {
            let book = root.join(name);
            std::fs::create_dir_all(&book).expect("book dir");
            std::fs::write(
                book.join(".Radicale.props"),
                format!("{{\"D:displayname\": \"{display}\", \"tag\": \"VADDRESSBOOK\"}}"),
            )
            .expect("props");
        }
        std::fs::write(dir.join("users"), format!("{USER}:{PASSWORD}\n")).expect("htpasswd");
        let port = crate::free_port();
        let config = dir.join("config");
        std::fs::write(
            &config,
            format!(
                "[server]\nhosts = 127.0.0.1:{port}\n\n[auth]\ntype = htpasswd\nhtpasswd_filename = {users}\nhtpasswd_encryption = plain\n\n\
[storage]\nfilesystem_folder = {collections}\n\n[rights]\ntype = owner_only\n\n[web]\ntype = none\n\n[logging]\nlevel = info\n",
                users = dir.join("users").display(),
                collections = dir.join("collections").display(),
            ),
        )
        .expect("config");
        Radicale {
            port,
            dir,
            config,
            process: None,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn book_url(&self, book: &str) -> String {
        format!("http://127.0.0.1:{}/{USER}/{book}/", self.port)
    }

    pub fn start(&mut self) {
        let mut cmd = Command::new("radicale");
        cmd.arg("--config").arg(&self.config);
        let p = Process::spawn(&format!("radicale-{}", self.port), cmd, &self.dir);
        crate::wait_tcp_listening(&p, self.port, Duration::from_secs(20));
        self.process = Some(p);
    }

    pub fn stop(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.stop();
        }
    }

    fn curl(&self, args: &[&str]) -> (u16, String) {
        let out = Command::new("curl")
            .args([
                "-s",
                "-u",
                &format!("{USER}:{PASSWORD}"),
                "-o",
                "-",
                "-w",
                "\n%{http_code}",
            ])
            .args(args)
            .output()
            .expect("curl");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_string())
    }

    /// Puts (adds or replaces) `file` in `book` as another client would.
    pub fn put_card(&self, book: &str, file: &str, vcard: &str) {
        let url = format!("{}{file}", self.book_url(book));
        let (code, body) = self.curl(&[
            "-X",
            "PUT",
            "-H",
            "Content-Type: text/vcard",
            "--data-binary",
            vcard,
            &url,
        ]);
        assert!((200..300).contains(&code), "PUT {url}: {code} {body}");
    }

    pub fn delete_card(&self, book: &str, file: &str) {
        let url = format!("{}{file}", self.book_url(book));
        let (code, body) = self.curl(&["-X", "DELETE", &url]);
        assert!((200..300).contains(&code), "DELETE {url}: {code} {body}");
    }

    /// The card as the server has it now.
    pub fn get_card(&self, book: &str, file: &str) -> String {
        let url = format!("{}{file}", self.book_url(book));
        let (code, body) = self.curl(&[&url]);
        assert_eq!(code, 200, "GET {url}: {body}");
        body
    }

    pub fn log(&self) -> String {
        self.process.as_ref().map(Process::log).unwrap_or_default()
    }
}

impl Drop for Radicale {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A vCard 3.0 with one work number.
pub fn card(uid: &str, name: &str, number: &str) -> String {
    format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nTEL;TYPE=WORK:{number}\r\nEND:VCARD\r\n"
    )
}
