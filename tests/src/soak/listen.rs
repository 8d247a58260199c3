//! `hookswitch listen --auto-answer` as an answering service meets a call
//! generator: sipp's uac scenario at 5 calls a second, 500 ms each. Every
//! call must be answered (side by side, none held), and the process must
//! be as it began once they are over.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::{Report, Watch};
use crate::sipp::{self, Scenario};
use crate::{Process, free_port, hookswitch_in};

const PART: &str = "listen";

pub fn run(bin: &Path, dir: &Path, calls: u32, report: &mut Report) {
    let home = dir.join("listen-phone");
    std::fs::create_dir_all(&home).expect("home");
    let port = free_port();
    let mut listen = hookswitch_in(&bin.to_string_lossy(), &home);
    listen.args([
        "--bind",
        &format!("127.0.0.1:{port}"),
        "listen",
        "--auto-answer",
    ]);
    let mut listener = Process::spawn("listen", listen, dir);
    listener.wait_for_log("ready on", super::T);
    let watch = Watch::start(listener.pid());
    // Compared between idle moments (tokio's blocking threads linger 10 s).
    std::thread::sleep(super::calls::IDLE);
    let start = watch.sample();
    let mut sipp = sipp::uac(
        dir,
        free_port(),
        SocketAddr::from(([127, 0, 0, 1], port)),
        Scenario::Builtin("uac"),
        calls,
        &["-r", "5", "-d", "500", "-s", "service"],
    );
    let status = sipp.wait(Duration::from_secs(u64::from(calls) / 5 + 60));
    // The last call is over for sipp; a moment later for the listener.
    let mut end = None;
    for _ in 0..200 {
        if listener.log().matches(": ended").count() >= calls as usize {
            std::thread::sleep(super::calls::IDLE);
            end = watch.sample();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let said = listener.log();
    let answered = (1..=calls)
        .filter(|n| said.contains(&format!("call {n}: established")))
        .count();
    report.check(
        PART,
        "calls answered",
        format!("{answered} of {calls} (sipp: {status})"),
        format!("{calls}, sipp exits 0"),
        answered == calls as usize && status.success(),
    );
    report.check(
        PART,
        "calls held",
        said.matches("on hold").count().to_string(),
        "0".into(),
        !said.contains("on hold"),
    );
    if let (Some(start), Some(end)) = (start, end) {
        report.note(
            PART,
            "RSS",
            format!("{:.1} MB before, {:.1} MB after", start.rss_mb, end.rss_mb),
        );
        report.check(
            PART,
            "descriptors and threads after",
            format!(
                "{} and {} (before {} and {})",
                end.fds, end.threads, start.fds, start.threads
            ),
            "as before".into(),
            end.fds <= start.fds && end.threads <= start.threads,
        );
    }
    let running = listener.exited().is_none();
    report.check(
        PART,
        "listen still running after the calls",
        if running { "yes" } else { "no" }.into(),
        "yes".into(),
        running,
    );
}
