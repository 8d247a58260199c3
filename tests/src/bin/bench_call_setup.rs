//! Call-setup benchmark: the time from an INVITE leaving a raw UDP prober to the
//! callee's 180 Ringing arriving, for `hookswitch listen` and for baresip, each a
//! separate process on this machine. Each call is then CANCELled (200, 487, ACK).
//! Usage: bench-call-setup --hookswitch PATH [--calls N]   (run by `cargo xtask bench sip`)

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant};

use hookswitch_tests::baresip::Baresip;
use hookswitch_tests::{Process, free_port, write_tone};

struct Probe {
    socket: UdpSocket,
    target: SocketAddr,
}

impl Probe {
    fn new(target: SocketAddr) -> Probe {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        socket
            .set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        Probe { socket, target }
    }

    fn recv_status(&self, wanted: &[&str]) -> Option<String> {
        let mut buf = [0u8; 8192];
        loop {
            let n = self.socket.recv(&mut buf).ok()?;
            let text = String::from_utf8_lossy(&buf[..n]).to_string();
            if wanted.iter().any(|w| text.starts_with(w)) {
                return Some(text);
            }
        }
    }

    /// One call: returns the INVITE -> 180 time.
    fn call(&self, n: u32) -> Option<Duration> {
        let me = self.socket.local_addr().ok()?;
        let (branch, call_id, tag) = (
            format!("z9hG4bKb{n}x{}", std::process::id()),
            format!("bench-{n}-{}@127.0.0.1", std::process::id()),
            format!("t{n}"),
        );
        let sdp = format!(
            "v=0\r\no=- {n} 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
            20000 + (n % 1000) * 2
        );
        let common = |method: &str, seq: &str| {
            format!(
                "{method} sip:bob@{t} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch={branch};rport\r\nMax-Forwards: 70\r\nFrom: <sip:probe@{me}>;tag={tag}\r\nTo: <sip:bob@{t}>\r\nCall-ID: {call_id}\r\nCSeq: 1 {seq}\r\n",
                t = self.target
            )
        };
        let invite = format!(
            "{}Contact: <sip:probe@{me}>\r\nContent-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{sdp}",
            common("INVITE", "INVITE"),
            sdp.len()
        );
        let start = Instant::now();
        self.socket.send_to(invite.as_bytes(), self.target).ok()?;
        let ringing = self.recv_status(&["SIP/2.0 180", "SIP/2.0 183"])?;
        let elapsed = start.elapsed();
        let to = ringing
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("to:"))?
            .to_string();
        let cancel = format!("{}Content-Length: 0\r\n\r\n", common("CANCEL", "CANCEL"));
        self.socket.send_to(cancel.as_bytes(), self.target).ok()?;
        self.recv_status(&["SIP/2.0 487"])?;
        let ack = format!(
            "{}Content-Length: 0\r\n\r\n",
            common("ACK", "ACK").replace(&format!("To: <sip:bob@{}>", self.target), &to)
        );
        self.socket.send_to(ack.as_bytes(), self.target).ok()?;
        Some(elapsed)
    }
}

fn measure(name: &str, target: SocketAddr, calls: u32) -> Vec<Duration> {
    let probe = Probe::new(target);
    // Warm up (and wait for the peer to listen: the first calls may time out).
    let mut warm = 0;
    for attempt in 0..100 {
        if probe.call(100_000 + attempt).is_some() {
            warm += 1;
        }
        if warm == 20 {
            break;
        }
    }
    assert_eq!(warm, 20, "{name} does not answer INVITEs at {target}");
    let mut times: Vec<Duration> = (0..calls).filter_map(|n| probe.call(n)).collect();
    assert!(
        times.len() as u32 > calls * 9 / 10,
        "{name}: too many calls failed"
    );
    times.sort();
    times
}

fn pct(times: &[Duration], p: f64) -> f64 {
    let i = ((times.len() as f64 - 1.0) * p).round() as usize;
    times[i].as_secs_f64() * 1e6
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let hookswitch = value("--hookswitch").expect("--hookswitch PATH");
    let calls: u32 = value("--calls").and_then(|c| c.parse().ok()).unwrap_or(500);
    let dir = tempfile::tempdir().expect("tempdir");

    let port = free_port();
    let mut cmd = Command::new(&hookswitch);
    cmd.env("XDG_CONFIG_HOME", dir.path())
        .args(["--bind", &format!("127.0.0.1:{port}"), "listen"]);
    let ours = {
        let _p = Process::spawn("hookswitch", cmd, dir.path());
        measure(
            "hookswitch",
            SocketAddr::from(([127, 0, 0, 1], port)),
            calls,
        )
    };

    let tone = dir.path().join("tone.wav");
    write_tone(&tone, 440.0, 8000, 1.0);
    let bport = free_port();
    let baresip = Baresip::configure(dir.path(), bport, &tone, "PCMU/8000/1", "udp");
    // No auto-answer: baresip rings, as a desk phone would.
    let accounts = std::fs::read_to_string(baresip.dir.join("accounts"))
        .expect("accounts")
        .replace("answermode=auto;", "");
    std::fs::write(baresip.dir.join("accounts"), accounts).expect("accounts");
    let theirs = {
        let _p = baresip.start(3600, None);
        measure("baresip", SocketAddr::from(([127, 0, 0, 1], bport)), calls)
    };

    println!("INVITE -> 180 Ringing over loopback UDP, {calls} calls each (µs):");
    println!("{:<12} {:>10} {:>10} {:>10}", "", "p50", "p90", "p99");
    for (name, t) in [("hookswitch", &ours), ("baresip", &theirs)] {
        println!(
            "{name:<12} {:>10.0} {:>10.0} {:>10.0}",
            pct(t, 0.5),
            pct(t, 0.9),
            pct(t, 0.99)
        );
    }
    println!(
        "ratio hookswitch/baresip: p50 {:.2}, p99 {:.2} (below 1: hookswitch is faster)",
        pct(&ours, 0.5) / pct(&theirs, 0.5),
        pct(&ours, 0.99) / pct(&theirs, 0.99)
    );
}
