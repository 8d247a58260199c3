//! The kernel's word that addresses, routes or links changed (rtnetlink,
//! rtnetlink(7)): a laptop that moves networks is noticed at once, and an
//! idle phone need not look at its route every few seconds to catch it (that
//! look was its main wake-up, D97). Receiving needs no privilege.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};

use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// The multicast groups: links, IPv4 and IPv6 addresses and routes.
const GROUPS: u32 = (libc::RTMGRP_LINK
    | libc::RTMGRP_IPV4_IFADDR
    | libc::RTMGRP_IPV4_ROUTE
    | libc::RTMGRP_IPV6_IFADDR
    | libc::RTMGRP_IPV6_ROUTE) as u32;

pub struct RouteMonitor {
    fd: AsyncFd<OwnedFd>,
}

impl RouteMonitor {
    /// Must be called inside the runtime that will wait on it.
    pub fn open() -> io::Result<RouteMonitor> {
        let fd = hookswitch_devices::hotplug::netlink::bound_socket(
            libc::SOCK_RAW | libc::SOCK_NONBLOCK,
            libc::NETLINK_ROUTE,
            GROUPS,
        )?;
        // SAFETY: the OwnedFd is ours alone, open, and stays the same
        // descriptor for as long as the AsyncFd holds it.
        let fd = unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }
            .map_err(|e| e.into_parts().1)?;
        Ok(RouteMonitor { fd })
    }

    /// Waits until something changed; what is queued is read and dropped
    /// (the route is looked at afresh, not told by the message). A full
    /// queue (`ENOBUFS`: changes were lost) counts as a change too.
    pub async fn changed(&self) -> io::Result<()> {
        let mut buf = [0u8; 8192];
        loop {
            let mut guard = self.fd.readable().await?;
            let mut any = false;
            loop {
                // SAFETY: reading into a buffer of the length given.
                let n = unsafe {
                    libc::recv(
                        self.fd.get_ref().as_raw_fd(),
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                        libc::MSG_DONTWAIT,
                    )
                };
                if n > 0 {
                    any = true;
                    continue;
                }
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EAGAIN) => break,
                    Some(libc::ENOBUFS) => any = true,
                    Some(libc::EINTR) => {}
                    _ if n == 0 => break,
                    _ => return Err(e),
                }
            }
            guard.clear_ready();
            if any {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any user may listen: no capability is needed to open it. (That a
    /// network switch is seen through it is tested end to end in
    /// crates/cli/tests/nat.rs, where the timer alone would be too slow.)
    #[tokio::test]
    async fn opens_without_privilege() {
        RouteMonitor::open().expect("an rtnetlink socket");
    }
}
