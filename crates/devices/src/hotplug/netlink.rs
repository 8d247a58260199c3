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

pub struct UeventSocket {
    fd: OwnedFd,
}

impl UeventSocket {
    pub fn open(source: Source) -> io::Result<UeventSocket> {
        // SAFETY: plain socket(2); the result is checked before use.
        let raw = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
                libc::NETLINK_KOBJECT_UEVENT,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh, valid descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        // SAFETY: sockaddr_nl is plain data; zeroed is a valid value.
        let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        addr.nl_groups = source as u32;
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
        Ok(UeventSocket { fd })
    }

    /// Waits up to `timeout` for one datagram; `Ok(None)` on timeout.
    pub fn recv(&self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
        let mut pfd = libc::pollfd {
            fd: self.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        if rc < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted {
                Ok(None)
            } else {
                Err(e)
            };
        }
        if rc == 0 {
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
