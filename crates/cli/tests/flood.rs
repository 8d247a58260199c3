//! What the network can do to a running phone without knocking it over:
//! connections left open to its SIP port stop at a cap (one more is closed
//! at once) instead of taking every descriptor, and once they go the phone
//! takes connections and answers requests again.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hookswitch_tests::{Process, free_port, wait_until};

const T: Duration = Duration::from_secs(20);
/// `edge::transport::MAX_INBOUND`.
const MAX_INBOUND: usize = 256;

fn hookswitch(home: &Path) -> Command {
    hookswitch_tests::hookswitch_in(env!("CARGO_BIN_EXE_hookswitch"), home)
}

fn options(port: u16, n: usize) -> String {
    format!(
        "OPTIONS sip:hs@127.0.0.1:{port} SIP/2.0\r\n\
         Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-tcp-{n}\r\n\
         Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=t{n}\r\n\
         To: <sip:hs@127.0.0.1:{port}>\r\nCall-ID: tcp-{n}\r\nCSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// Whether the phone answers an OPTIONS on a new TCP connection with 200.
fn answers_over_tcp(port: u16, n: usize) -> bool {
    let Ok(mut c) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = c.set_read_timeout(Some(Duration::from_secs(2)));
    if c.write_all(options(port, n).as_bytes()).is_err() {
        return false;
    }
    let mut said = [0u8; 512];
    c.read(&mut said)
        .is_ok_and(|k| String::from_utf8_lossy(&said[..k]).starts_with("SIP/2.0 200"))
}

#[test]
fn idle_connections_stop_at_the_cap_and_the_phone_goes_on() {
    let dir = hookswitch_tests::tempdir();
    let home = dir.path();
    let port = free_port();
    std::fs::create_dir_all(home.join("hookswitch")).unwrap();
    std::fs::write(
        home.join("hookswitch/config.toml"),
        format!("[sip]\nlisten = \"127.0.0.1:{port}\"\n[devices]\nenabled = false\n"),
    )
    .unwrap();
    let mut cmd = hookswitch(home);
    cmd.arg("run");
    let mut phone = Process::spawn("run", cmd, home);
    phone.wait_for_log("ready on", T);
    assert!(answers_over_tcp(port, 0));

    // 300 connections that say nothing: the first 256 stay, the rest are
    // closed at once (their reads end).
    let crowd: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();
    let mut closed = 0;
    for c in &crowd[MAX_INBOUND..] {
        c.set_read_timeout(Some(T)).unwrap();
        let mut b = [0u8; 16];
        if matches!((&*c).read(&mut b), Ok(0)) {
            closed += 1;
        }
    }
    assert_eq!(closed, 300 - MAX_INBOUND, "{}", phone.log());
    assert!(!answers_over_tcp(port, 1), "no room while they stay");
    // UDP is not held up by them.
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_read_timeout(Some(T)).unwrap();
    udp.send_to(
        options(port, 2)
            .replace(
                "TCP 127.0.0.1:9",
                &format!("UDP {}", udp.local_addr().unwrap()),
            )
            .as_bytes(),
        ("127.0.0.1", port),
    )
    .unwrap();
    let mut said = [0u8; 1024];
    let (k, _) = udp.recv_from(&mut said).unwrap();
    assert!(String::from_utf8_lossy(&said[..k]).starts_with("SIP/2.0 200"));

    // They leave: connections are taken and answered again.
    drop(crowd);
    wait_until(T, "a TCP request answered again", || {
        answers_over_tcp(port, 3)
    });
    assert!(
        phone
            .log()
            .contains("connection closed: 256 peers' connections are open")
    );
    phone.stop();
}
