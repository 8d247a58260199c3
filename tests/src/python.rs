//! Python tools from PyPI (schemathesis, openapi-spec-validator,
//! websockets) in a venv the harness makes once per target folder, under a
//! lock so test binaries running at once do not build it twice.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The packages of the API tests' venv, pinned to majors whose command
/// lines the tests use.
pub const API_TOOLS: &[&str] = &[
    "schemathesis>=4,<5",
    "openapi-spec-validator>=0.7,<1",
    "websockets>=13,<18",
];

/// `target/venvs/NAME` (from this test binary's place in the target folder).
fn venv_dir(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary");
    // target/debug/deps/test-1234 -> target/venvs/NAME
    let target = exe
        .ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(std::env::temp_dir);
    target.join("venvs").join(name)
}

/// The venv `name` with `packages`, made when missing; its `bin/` folder.
pub fn venv(name: &str, packages: &[&str]) -> PathBuf {
    let dir = venv_dir(name);
    std::fs::create_dir_all(dir.parent().expect("parent")).expect("venvs folder");
    let lock_path = dir.with_extension("lock");
    let lock = std::fs::File::create(&lock_path).expect("venv lock");
    // SAFETY: flock on a descriptor we own; released when `lock` closes.
    let locked = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(locked, 0, "flock {}", lock_path.display());
    let stamp = dir.join("hookswitch-packages");
    let wanted = packages.join("\n");
    if std::fs::read_to_string(&stamp).is_ok_and(|s| s == wanted) {
        return dir.join("bin");
    }
    let _ = std::fs::remove_dir_all(&dir);
    // Debian's own Python (python3-venv), not whatever PATH finds first.
    let python = if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    };
    let out = Command::new(python)
        .args(["-m", "venv"])
        .arg(&dir)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "python3 -m venv failed (Debian: python3-venv): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(dir.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(packages)
        .output()
        .expect("pip");
    assert!(
        out.status.success(),
        "pip install {packages:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&stamp, wanted).expect("stamp");
    dir.join("bin")
}
