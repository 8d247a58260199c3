//! The uevent socket (NETLINK_KOBJECT_UEVENT). Receiving needs no privilege.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// Which multicast group to join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The kernel's own events: arrive first, before udev has set permissions.
    Kernel = 1,
    /// udev's re-broadcast, after its rules ran (permissions, uaccess ACLs).
    Udev = 2,
}

impl Source {
    /// udev's events when udev runs (a desktop), the kernel's otherwise (a
    /// minimal system such as the QEMU test guest).
    pub fn preferred() -> Source {
        if std::path::Path::new("/run/udev/control").exists() {
            Source::Udev
        } else {
            Source::Kernel
        }
    }
}

/// A netlink socket of `kind` (with `SOCK_CLOEXEC`) for `protocol`, bound to
/// the multicast `groups`: the uevent socket here, the phone's route monitor.
pub fn bound_socket(kind: libc::c_int, protocol: libc::c_int, groups: u32) -> io::Result<OwnedFd> {
    // SAFETY: plain socket(2); the result is checked before use.
    let raw = unsafe { libc::socket(libc::AF_NETLINK, kind | libc::SOCK_CLOEXEC, protocol) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a fresh, valid descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: sockaddr_nl is plain data; zeroed is a valid value.
    let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    addr.nl_groups = groups;
    // SAFETY: `addr` is a valid sockaddr_nl and the length matches it.
    let rc = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(fd)
}

pub struct UeventSocket {
    fd: OwnedFd,
}

impl UeventSocket {
    pub fn open(source: Source) -> io::Result<UeventSocket> {
        let fd = bound_socket(
            libc::SOCK_DGRAM,
            libc::NETLINK_KOBJECT_UEVENT,
            source as u32,
        )?;
        Ok(UeventSocket { fd })
    }

    /// Waits up to `timeout` for one datagram; `Ok(None)` on timeout.
    pub fn recv(&self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
        self.recv_or_woken(buf, Some(timeout), None)
    }

    /// Waits for one datagram, at most `timeout` (`None`: for ever), and
    /// until `waker` is woken; `Ok(None)` on timeout or wake.
    pub fn recv_or_woken(
        &self,
        buf: &mut [u8],
        timeout: Option<Duration>,
        waker: Option<&Waker>,
    ) -> io::Result<Option<usize>> {
        if !wait_readable(self.fd.as_raw_fd(), timeout, waker)? {
            return Ok(None);
        }
        // SAFETY: `buf` is valid for `buf.len()` bytes.
        let n = unsafe {
            libc::recv(
                self.fd.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                libc::MSG_DONTWAIT,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            // ENOBUFS: events were lost; the caller rescans anyway.
            return match e.raw_os_error() {
                Some(libc::EAGAIN | libc::ENOBUFS) => Ok(Some(0)),
                _ => Err(e),
            };
        }
        Ok(Some(usize::try_from(n).unwrap_or(0)))
    }
}

/// Whether `fd` became readable within `timeout` (`None`: for ever); false
/// on timeout, on a signal, or when `waker` was woken.
fn wait_readable(fd: i32, timeout: Option<Duration>, waker: Option<&Waker>) -> io::Result<bool> {
    let mut pfds = [
        libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: waker.map_or(-1, |w| w.fd.as_raw_fd()),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let ms = timeout.map_or(-1, |t| i32::try_from(t.as_millis()).unwrap_or(i32::MAX));
    // SAFETY: two valid pollfds (a negative fd is ignored by poll).
    let rc = unsafe { libc::poll(pfds.as_mut_ptr(), 2, ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(e)
        };
    }
    Ok(rc > 0 && pfds[0].revents & libc::POLLIN != 0)
}

/// Wakes a thread blocked in [`UeventSocket::recv_or_woken`] or
/// [`Waker::sleep`] (an eventfd): the watcher sleeps until something
/// happens instead of waking every 100 ms to look at a stop flag.
#[derive(Debug)]
pub struct Waker {
    fd: OwnedFd,
}

impl Waker {
    pub fn new() -> io::Result<Waker> {
        // SAFETY: eventfd has no pointer arguments.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a new descriptor we own.
        Ok(Waker {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    pub fn wake(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a valid u64.
        let _ = unsafe {
            libc::write(
                self.fd.as_raw_fd(),
                (&raw const one).cast(),
                std::mem::size_of::<u64>(),
            )
        };
    }

    /// Sleeps `d` or until woken (once woken, it stays so: a stop is final).
    pub fn sleep(&self, d: Duration) {
        self.wait(d);
    }

    /// Whether it was woken (without waiting).
    pub fn woken(&self) -> bool {
        self.wait(Duration::ZERO)
    }

    fn wait(&self, d: Duration) -> bool {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(d.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        rc > 0 && pfd.revents & libc::POLLIN != 0
    }
}

#[cfg(test)]
mod waker_tests {
    use super::*;

    #[test]
    fn a_woken_waker_stays_woken_and_ends_a_wait_for_a_datagram() {
        let w = Waker::new().unwrap();
        assert!(!w.woken());
        w.wake();
        assert!(w.woken());
        assert!(w.woken(), "level-triggered: a stop is not missed");
        // A wait on a socket with nothing to read ends at once when woken.
        let (a, _b) = std::os::unix::net::UnixDatagram::pair().unwrap();
        assert!(!wait_readable(a.as_raw_fd(), None, Some(&w)).unwrap());
    }
}
