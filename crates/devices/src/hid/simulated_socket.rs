//! A simulated device reachable from another process: a Unix socket on which
//! each line `report HEX...` is an input report the device sends, `unplug`
//! pulls it out and `plug` puts it back in (a new device to the phone, as a
//! real replug is), and every output report the host writes comes back as
//! `shown HEX...`. A client is greeted `ready` once it is listed: reports
//! written from then on reach it (one written between its connect and the
//! greeting may not). The kernel here has no uhid, so this is how an end-to-end
//! test (or someone without the hardware) holds a headset that lives inside
//! the app's own process.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::simulated::SimulatedHandle;

/// How often the writer looks for new output reports when none came.
const POLL: Duration = Duration::from_millis(50);

/// Plugs the device in again after an `unplug`: a new handle from the
/// device manager, or why not.
pub type Replug = Box<dyn Fn() -> Result<SimulatedHandle, String> + Send + Sync>;

/// The device as the socket holds it: plugged in (its handle) or not.
#[derive(Clone)]
struct Slot {
    handle: Arc<Mutex<Option<Arc<SimulatedHandle>>>>,
    replug: Arc<Replug>,
}

impl Slot {
    fn current(&self) -> Option<Arc<SimulatedHandle>> {
        self.handle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Serves `handle` on `path` (replacing a stale socket) from two threads that
/// live as long as the process. Several clients may connect; output reports
/// go to every one connected. `plug` calls `replug` for the device's next life.
pub fn serve(handle: SimulatedHandle, path: &Path, replug: Replug) -> std::io::Result<()> {
    if path.exists() {
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    let slot = Slot {
        handle: Arc::new(Mutex::new(Some(Arc::new(handle)))),
        replug: Arc::new(replug),
    };
    let clients: Arc<Mutex<Vec<UnixStream>>> = Arc::default();
    {
        let (slot, clients) = (slot.clone(), clients.clone());
        std::thread::Builder::new()
            .name("hid-sim-out".into())
            .spawn(move || {
                loop {
                    // Unplugged: nothing can be written until it is back.
                    let Some(handle) = slot.current() else {
                        std::thread::sleep(POLL);
                        continue;
                    };
                    let Some(report) = handle.next_written(POLL) else {
                        continue;
                    };
                    let line = format!("shown {}\n", hookswitch_hid::hex_line(&report));
                    let mut clients = clients.lock().unwrap_or_else(PoisonError::into_inner);
                    clients.retain_mut(|c| c.write_all(line.as_bytes()).is_ok());
                }
            })?;
    }
    std::thread::Builder::new()
        .name("hid-sim-in".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let Ok(writer) = stream.try_clone() else {
                    continue;
                };
                {
                    let mut clients = clients.lock().unwrap_or_else(PoisonError::into_inner);
                    // Under the lock: no `shown` line can come before it.
                    let mut writer = writer;
                    if writer.write_all(b"ready\n").is_err() {
                        continue;
                    }
                    clients.push(writer);
                }
                let slot = slot.clone();
                let _ = std::thread::Builder::new()
                    .name("hid-sim-client".into())
                    .spawn(move || read_commands(&slot, stream));
            }
        })?;
    Ok(())
}

fn read_commands(slot: &Slot, stream: UnixStream) {
    let Ok(mut reply) = stream.try_clone() else {
        return;
    };
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { return };
        let answer = match parse_command(&line) {
            Ok(Command::Report(bytes)) => match slot.current() {
                Some(handle) => {
                    handle.input(&bytes);
                    // Answer only once the report is decoded, so a client that
                    // waits for "ok" knows the phone has seen the gesture.
                    handle.sync();
                    "ok\n".to_string()
                }
                None => "error unplugged\n".to_string(),
            },
            Ok(Command::Unplug) => {
                let gone = slot
                    .handle
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                match gone {
                    Some(handle) => {
                        handle.unplug();
                        // Returns once the device's reader has ended and the
                        // manager has been told: "ok" means it is gone.
                        handle.sync();
                        "ok\n".to_string()
                    }
                    None => "error unplugged already\n".to_string(),
                }
            }
            Ok(Command::Plug) => {
                let mut current = slot.handle.lock().unwrap_or_else(PoisonError::into_inner);
                if current.is_some() {
                    "error plugged in already\n".to_string()
                } else {
                    match (slot.replug)() {
                        Ok(handle) => {
                            *current = Some(Arc::new(handle));
                            "ok\n".to_string()
                        }
                        Err(e) => format!("error {e}\n"),
                    }
                }
            }
            Err(e) => format!("error {e}\n"),
        };
        if reply.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// One line from a client.
#[derive(Debug, PartialEq)]
pub enum Command {
    Report(Vec<u8>),
    Unplug,
    Plug,
}

/// Reads a client's line (public for the fuzz target: it is outside input).
pub fn parse_command(line: &str) -> Result<Command, String> {
    let line = line.trim();
    let (command, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    match command {
        "report" => {
            let bytes = hookswitch_hid::hex_bytes(rest)?;
            if bytes.is_empty() {
                return Err("report: no bytes".into());
            }
            Ok(Command::Report(bytes))
        }
        "unplug" => Ok(Command::Unplug),
        "plug" => Ok(Command::Plug),
        "" => Err("empty line".into()),
        other => Err(format!(
            "unknown command {other:?} (report HEX..., unplug, plug)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_and_bad_lines_are_errors() {
        assert_eq!(
            parse_command("report 03 01 0x02"),
            Ok(Command::Report(vec![3, 1, 2]))
        );
        assert_eq!(parse_command(" unplug "), Ok(Command::Unplug));
        assert_eq!(parse_command("plug"), Ok(Command::Plug));
        assert!(parse_command("report").is_err());
        assert!(parse_command("report zz").is_err());
        assert!(parse_command("press").is_err());
        assert!(parse_command("").is_err());
    }
}
