//! recvmsg(2) with its control messages, for what a plain receive does not
//! say: the ICMP errors queued for our datagrams (`icmp`) and the kernel's
//! arrival stamps on RTP (`rtp_receive`); and the socket option that asks
//! the kernel for either.

use std::io;
use std::net::SocketAddr;
use std::os::fd::RawFd;

/// Sets an int socket option to 1 (setsockopt(2)).
pub fn enable_option(fd: RawFd, level: libc::c_int, name: libc::c_int) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: a valid fd, and a pointer to an int of the size given.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// One datagram into `buf` with `flags`: its length (cut to `buf`) and its
/// source address, and each control message given to `each` as its level,
/// type and payload.
pub fn recv_with_control(
    fd: RawFd,
    buf: &mut [u8],
    flags: libc::c_int,
    mut each: impl FnMut(libc::c_int, libc::c_int, &[u8]),
) -> io::Result<(usize, Option<SocketAddr>)> {
    // SAFETY: zeroed plain-old-data structures of libc.
    let mut name: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    // cmsghdr needs its alignment: a buffer of u64s.
    let mut control = [0u64; 64];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = (&mut name as *mut libc::sockaddr_storage).cast();
    msg.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control);
    // SAFETY: msg points at buffers that live through the call.
    let n = unsafe { libc::recvmsg(fd, &mut msg, flags) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: walking the control messages recvmsg filled in; each payload
    // is the bytes its header says it has, inside `control`.
    let mut cmsg = unsafe { libc::CMSG_FIRSTHDR(&msg) };
    while !cmsg.is_null() {
        let header = unsafe { &*cmsg };
        let start = unsafe { libc::CMSG_DATA(cmsg) };
        let head = unsafe { libc::CMSG_LEN(0) } as usize;
        let len = (header.cmsg_len as usize).saturating_sub(head);
        let payload = unsafe { std::slice::from_raw_parts(start, len) };
        each(header.cmsg_level, header.cmsg_type, payload);
        cmsg = unsafe { libc::CMSG_NXTHDR(&msg, cmsg) };
    }
    Ok(((n as usize).min(buf.len()), super::icmp::socket_addr(&name)))
}

/// A control message's payload as `T`, if it is long enough to hold one.
pub fn payload_as<T: Copy>(payload: &[u8]) -> Option<T> {
    (payload.len() >= std::mem::size_of::<T>())
        // SAFETY: `T` is plain data (Copy, from libc) and the bytes are there.
        .then(|| unsafe { std::ptr::read_unaligned(payload.as_ptr().cast()) })
}
