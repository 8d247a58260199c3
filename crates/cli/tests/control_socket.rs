//! The control socket cannot be used to knock the phone over: a line of
//! 300 kB is refused (not buffered) and its connection closed, bytes that
//! are not UTF-8 get an error and the connection goes on, connections past
//! the cap are told "busy", and accept failing for want of descriptors is
//! waited out (it once ended `hookswitch run` and hung up its calls). The
//! socket lives only in a private directory: without one `run` refuses to
//! start.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hookswitch_tests::{Process, free_port, wait_until};

const T: Duration = Duration::from_secs(20);

fn hookswitch(home: &Path) -> Command {
    hookswitch_tests::hookswitch_in(env!("CARGO_BIN_EXE_hookswitch"), home)
}

fn run(home: &Path) -> Process {
    std::fs::create_dir_all(home.join("hookswitch")).unwrap();
    std::fs::write(
        home.join("hookswitch/config.toml"),
        format!(
            "[sip]\nlisten = \"127.0.0.1:{}\"\n[devices]\nenabled = false\n\
             [audio]\npause_media = false\n",
            free_port()
        ),
    )
    .unwrap();
    let mut cmd = hookswitch(home);
    cmd.arg("run");
    let daemon = Process::spawn("run", cmd, home);
    daemon.wait_for_log("control socket", T);
    daemon
}

/// `hookswitch calls` against the running phone answers (exit 0).
fn answers(home: &Path) -> bool {
    hookswitch(home)
        .arg("calls")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn reply(reader: &mut BufReader<UnixStream>) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    line
}

#[test]
fn long_lines_bad_bytes_and_too_many_connections_get_answers_not_a_crash() {
    let dir = hookswitch_tests::tempdir();
    let home = dir.path();
    let mut daemon = run(home);
    let socket = home.join("hookswitch.sock");

    // 300 kB with no newline: refused at 64 KiB, then closed.
    let mut long = UnixStream::connect(&socket).unwrap();
    long.set_read_timeout(Some(T)).unwrap();
    let _ = long.write_all(&vec![b'x'; 300_000]);
    let mut reader = BufReader::new(long.try_clone().unwrap());
    let said = reply(&mut reader);
    assert!(said.contains("longer than 65536 bytes"), "{said}");
    let mut rest = Vec::new();
    assert_eq!(
        reader.read_to_end(&mut rest).unwrap_or(0),
        0,
        "closed after"
    );

    // Not UTF-8: an error, and the next request on it is answered.
    let mut bad = UnixStream::connect(&socket).unwrap();
    bad.set_read_timeout(Some(T)).unwrap();
    bad.write_all(b"\xff\xfe{}\n{\"cmd\":\"state\"}\n").unwrap();
    let mut reader = BufReader::new(bad.try_clone().unwrap());
    let said = reply(&mut reader);
    assert!(said.contains("not UTF-8"), "{said}");
    let said = reply(&mut reader);
    assert!(said.starts_with("{\"ok\":true"), "{said}");

    // 70 idle connections: the 64 served stay open, the rest are told why.
    let idle: Vec<UnixStream> = (0..70)
        .map(|_| UnixStream::connect(&socket).unwrap())
        .collect();
    let mut busy = 0;
    for s in &idle[64..] {
        s.set_read_timeout(Some(T)).unwrap();
        let said = reply(&mut BufReader::new(s.try_clone().unwrap()));
        if said.contains("busy: 64 control connections") {
            busy += 1;
        }
    }
    assert_eq!(busy, 6);
    drop(idle);
    wait_until(T, "the phone answering again", || answers(home));
    daemon.stop();
}

#[test]
fn running_out_of_descriptors_is_waited_out() {
    let dir = hookswitch_tests::tempdir();
    let home = dir.path();
    let daemon = run(home);
    let socket = home.join("hookswitch.sock");
    assert!(answers(home));

    // Leave the phone 12 descriptors more than it holds, then connect 40
    // times: accept fails with EMFILE (the connections wait in the backlog).
    let open = std::fs::read_dir(format!("/proc/{}/fd", daemon.pid()))
        .unwrap()
        .count();
    let limit = open + 12;
    let set = Command::new("prlimit")
        .arg(format!("--pid={}", daemon.pid()))
        .arg(format!("--nofile={limit}:{limit}"))
        .status()
        .unwrap();
    assert!(set.success());
    let crowd: Vec<UnixStream> = (0..40)
        .map(|_| UnixStream::connect(&socket).unwrap())
        .collect();
    daemon.wait_for_log("accept failed", T);

    // The crowd leaves: the phone is still running and answers.
    drop(crowd);
    wait_until(T, "the phone answering again", || answers(home));
    assert!(
        Path::new(&format!("/proc/{}", daemon.pid())).exists(),
        "{}",
        daemon.log()
    );
}

#[test]
fn without_a_private_directory_there_is_no_socket_and_no_phone() {
    let dir = hookswitch_tests::tempdir();
    let home = dir.path();
    std::fs::create_dir_all(home.join("hookswitch")).unwrap();
    std::fs::write(
        home.join("hookswitch/config.toml"),
        format!(
            "[sip]\nlisten = \"127.0.0.1:{}\"\n[devices]\nenabled = false\n",
            free_port()
        ),
    )
    .unwrap();
    let unset = hookswitch(home)
        .env_remove("XDG_RUNTIME_DIR")
        .arg("run")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&unset.stderr).to_string();
    assert!(!unset.status.success());
    assert!(said.contains("XDG_RUNTIME_DIR is not set"), "{said}");

    let shared = home.join("shared");
    std::fs::create_dir(&shared).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let open = hookswitch(home)
        .env("XDG_RUNTIME_DIR", &shared)
        .arg("run")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&open.stderr).to_string();
    assert!(!open.status.success());
    assert!(said.contains("mode 0755: others may enter it"), "{said}");
    assert!(!shared.join("hookswitch.sock").exists());

    // A client says why it cannot reach a phone.
    let calls = hookswitch(home)
        .env("XDG_RUNTIME_DIR", &shared)
        .arg("calls")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&calls.stderr).to_string();
    assert!(said.contains("no private directory"), "{said}");
}
