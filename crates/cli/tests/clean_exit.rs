//! `hookswitch call` and `listen` finish what they began before the process
//! ends (RFC 3261 9.1, 15.1.1, 17): the 487 to a CANCEL is ACKed, a lost BYE
//! is sent again until answered, and a refusal waits for its ACK. Each peer
//! here notices when we leave too early: sipp fails when its 487 gets no ACK
//! or its BYE never comes, and the raw peer waits for the retransmitted 486
//! that only a process still running sends.

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use hookswitch_tests::sipp::{self, Scenario};
use hookswitch_tests::{Process, free_port};

fn hookswitch(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hookswitch"));
    c.env("XDG_CONFIG_HOME", home)
        .env("XDG_RUNTIME_DIR", home)
        .env("XDG_STATE_HOME", home)
        .env_remove("RUST_LOG");
    c
}

fn localhost(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn sipp_passes(mut sipp: Process) {
    let status = sipp.wait(Duration::from_secs(40));
    assert!(status.success(), "sipp failed ({status}):\n{}", sipp.log());
}

/// `call --timeout 1` to a phone that only rings: the CANCEL goes out after
/// a second, the 487 comes 300 ms later, and our ACK must reach sipp.
#[test]
fn a_call_given_up_acks_the_487_before_exiting() {
    let dir = hookswitch_tests::tempdir();
    let sipp_port = free_port();
    let sipp = sipp::uas(
        dir.path(),
        sipp_port,
        Scenario::File("uas_cancel_slow_487"),
        1,
        &[],
    );
    let out = hookswitch(dir.path())
        .args(["--bind", &localhost(free_port()).to_string(), "call"])
        .arg(format!("sip:service@{}", localhost(sipp_port)))
        .args(["--timeout", "1"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(2), "{said}");
    sipp_passes(sipp);
}

/// Ctrl-C while the far end rings: CANCEL, then the 487 ACKed, then exit 2.
#[test]
fn ctrl_c_while_ringing_cancels_and_acks_the_487() {
    let dir = hookswitch_tests::tempdir();
    let sipp_port = free_port();
    let sipp = sipp::uas(
        dir.path(),
        sipp_port,
        Scenario::File("uas_cancel_slow_487"),
        1,
        &[],
    );
    let mut call = hookswitch(dir.path());
    call.args(["--bind", &localhost(free_port()).to_string(), "call"])
        .arg(format!("sip:service@{}", localhost(sipp_port)));
    let mut caller = Process::spawn("call", call, dir.path());
    caller.wait_for_log("180 Ringing", Duration::from_secs(10));
    let interrupted = Command::new("kill")
        .args(["-INT", &caller.pid().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let status = caller.wait(Duration::from_secs(20));
    assert_eq!(status.code(), Some(2), "{}", caller.log());
    sipp_passes(sipp);
}

/// The network loses our first BYE: `call --duration` sends it again
/// (Timer E) and exits once it is answered, with 0. The peer is a raw
/// socket that answers the call and ignores the first BYE.
#[test]
fn a_lost_bye_is_sent_again_until_answered() {
    let dir = hookswitch_tests::tempdir();
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let me = peer.local_addr().unwrap();
    let mut call = hookswitch(dir.path());
    call.args(["--bind", &localhost(free_port()).to_string(), "call"])
        .arg(format!("sip:bob@{me}"))
        .args(["--duration", "0.3"]);
    let mut caller = Process::spawn("call", call, dir.path());

    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
        free_port()
    );
    let mut byes = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 8192];
    while byes < 2 {
        assert!(
            Instant::now() < deadline,
            "the BYE came {byes} time(s): `call` left without its answer\n{}",
            caller.log()
        );
        let Ok((n, from)) = peer.recv_from(&mut buf) else {
            continue;
        };
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        if text.starts_with("INVITE ") {
            let ok = response(
                &text,
                "200 OK",
                &format!("Contact: <sip:bob@{me}>\r\nContent-Type: application/sdp\r\n"),
                &sdp,
            );
            peer.send_to(ok.as_bytes(), from).unwrap();
        } else if text.starts_with("BYE ") {
            byes += 1;
            if byes == 2 {
                peer.send_to(response(&text, "200 OK", "", "").as_bytes(), from)
                    .unwrap();
            }
        }
    }
    let status = caller.wait(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{}", caller.log());
}

/// A response to `request`: its Via, From, To (tagged), Call-ID and CSeq.
fn response(request: &str, status: &str, extra: &str, body: &str) -> String {
    let mut head = format!("SIP/2.0 {status}\r\n");
    for line in request.lines() {
        let name = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match name.as_str() {
            "via" | "from" | "call-id" | "cseq" => head.push_str(&format!("{line}\r\n")),
            "to" if line.contains(";tag=") => head.push_str(&format!("{line}\r\n")),
            "to" => head.push_str(&format!("{line};tag=peer2\r\n")),
            _ => {}
        }
    }
    format!("{head}{extra}Content-Length: {}\r\n\r\n{body}", body.len())
}

/// `listen --reject 486 --count 1` stays until its 486 is ACKed: a peer
/// that holds its ACK back sees the 486 again (Timer G), sends the ACK, and
/// then `listen` exits 0.
#[test]
fn listen_rejecting_stays_for_the_ack() {
    let dir = hookswitch_tests::tempdir();
    let port = free_port();
    let mut listen = hookswitch(dir.path());
    listen.args([
        "--bind",
        &localhost(port).to_string(),
        "listen",
        "--reject",
        "486",
        "--count",
        "1",
    ]);
    let mut listener = Process::spawn("listen", listen, dir.path());
    listener.wait_for_log("listening on", Duration::from_secs(10));

    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let me = peer.local_addr().unwrap();
    let head = |method: &str, seq: &str, to_tag: &str| {
        format!(
            "{method} sip:bob@127.0.0.1:{port} SIP/2.0\r\n\
             Via: SIP/2.0/UDP {me};branch=z9hG4bKclean1;rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:peer@{me}>;tag=peer1\r\n\
             To: <sip:bob@127.0.0.1:{port}>{to_tag}\r\n\
             Call-ID: clean-exit-{port}@127.0.0.1\r\n\
             CSeq: {seq}\r\n"
        )
    };
    let sdp = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=audio {} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
        free_port()
    );
    let invite = format!(
        "{}Contact: <sip:peer@{me}>\r\nContent-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{sdp}",
        head("INVITE", "1 INVITE", ""),
        sdp.len()
    );
    peer.send_to(invite.as_bytes(), localhost(port)).unwrap();

    // Read until the 486 has come twice: the second one is its
    // retransmission, which only a listener still waiting for the ACK sends.
    let mut refusals = 0;
    let mut to_tag = String::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 4096];
    while refusals < 2 {
        assert!(
            Instant::now() < deadline,
            "the 486 came {refusals} time(s): `listen` left before the ACK\n{}",
            listener.log()
        );
        let Ok(n) = peer.recv(&mut buf) else { continue };
        let text = String::from_utf8_lossy(&buf[..n]).to_string();
        if text.starts_with("SIP/2.0 486") {
            refusals += 1;
            to_tag = text
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("to:"))
                .and_then(|l| {
                    l.split_once(";tag=")
                        .map(|(_, t)| format!(";tag={}", t.trim()))
                })
                .unwrap_or_default();
        }
    }
    let ack = format!("{}Content-Length: 0\r\n\r\n", head("ACK", "1 ACK", &to_tag));
    peer.send_to(ack.as_bytes(), localhost(port)).unwrap();
    let status = listener.wait(Duration::from_secs(20));
    assert!(status.success(), "{}", listener.log());
}
