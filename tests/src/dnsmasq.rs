//! dnsmasq (Debian `dnsmasq-base`) as the DNS server of RFC 3263 tests:
//! test zones of NAPTR, SRV and A records on a loopback port, nothing
//! forwarded, nothing read from the machine.

use std::path::Path;
use std::process::Command;

use crate::Process;

/// One record of a test zone.
pub enum Zone<'a> {
    /// `name` -> `ip` (A).
    Host { name: &'a str, ip: &'a str },
    /// SRV `name` (`_sip._udp.example.test`) -> `target`:`port`.
    Srv {
        name: &'a str,
        target: &'a str,
        port: u16,
        priority: u16,
        weight: u16,
    },
    /// NAPTR `name` -> SRV name `replacement` for `service` (SIP+D2U...).
    Naptr {
        name: &'a str,
        order: u16,
        preference: u16,
        service: &'a str,
        replacement: &'a str,
    },
}

/// Starts dnsmasq on 127.0.0.1:`port` serving `zone`; returns once it has
/// its port.
pub fn start(dir: &Path, port: u16, zone: &[Zone<'_>]) -> Process {
    let mut cmd = Command::new("dnsmasq");
    cmd.args([
        "--keep-in-foreground",
        "--log-facility=-",
        "--log-queries",
        "--no-resolv",
        "--no-hosts",
        "--no-poll",
        "--conf-file=/dev/null",
        "--bind-interfaces",
        "--listen-address=127.0.0.1",
        "--user=",
        "--group=",
        "--cache-size=0",
    ])
    .arg(format!("--port={port}"))
    .arg(format!(
        "--pid-file={}",
        dir.join(format!("dnsmasq-{port}.pid")).display()
    ));
    for z in zone {
        cmd.arg(match z {
            Zone::Host { name, ip } => format!("--host-record={name},{ip}"),
            Zone::Srv {
                name,
                target,
                port,
                priority,
                weight,
            } => format!("--srv-host={name},{target},{port},{priority},{weight}"),
            Zone::Naptr {
                name,
                order,
                preference,
                service,
                replacement,
            } => format!("--naptr-record={name},{order},{preference},S,{service},,{replacement}"),
        });
    }
    let p = Process::spawn(&format!("dnsmasq-{port}"), cmd, dir);
    crate::wait_udp_bound(&p, ([127, 0, 0, 1], port).into());
    p
}
