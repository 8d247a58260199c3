//! A home office behind a NAT, built from network namespaces (iproute2 and
//! nftables, root only): a LAN namespace whose only way out is a router
//! namespace that masquerades onto a WAN link ending in the test's own
//! namespace. Whatever runs in the LAN is reached from the test's side only
//! through the NAT; the test's namespace has no route into the LAN.
//!
//! ```text
//!  LAN ns             router ns                       test's ns
//!  10.N.0.2 --veth-- 10.N.0.1 | 198.18.N.1 --veth-- 198.18.N.2
//!                     (masquerade on the WAN side)
//! ```

use std::net::Ipv4Addr;
use std::process::Command;

pub struct NatRig {
    lan_ns: String,
    router_ns: String,
    /// The WAN link's end in the test's namespace (deleting it removes the pair).
    wan_link: String,
    /// Its other end, in the router: the NAT's public side.
    wan_router_side: String,
    lan_link: String,
    subnet: u8,
    lan_host: u8,
    router_public_host: u8,
}

/// Runs `ip`/`nft`/`sysctl` style commands, failing the test with their output.
fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}; run `cargo xtask setup`"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `ip netns exec NS ARGS...`, failing the test with its output.
fn in_ns(ns: &str, args: &[&str]) {
    let mut all = vec!["netns", "exec", ns];
    all.extend_from_slice(args);
    run("ip", &all);
}

/// `preferred`, or the next N whose 198.18.N.0/24 no interface here has: a
/// rig left by a run that was killed (its links stay) must not share the
/// WAN subnet, or the routes of the two collide and nothing gets through.
fn free_subnet(preferred: u8) -> u8 {
    let out = Command::new("ip")
        .args(["-o", "-4", "addr", "show"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let used = |n: u8| out.contains(&format!(" 198.18.{n}."));
    (0..250u16)
        .map(|k| ((u16::from(preferred) - 1 + k) % 250 + 1) as u8)
        .find(|n| !used(*n))
        .unwrap_or(preferred)
}

/// True when this process may build namespaces (root; CI runs as root).
pub fn can_build() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

impl NatRig {
    pub fn build() -> NatRig {
        let id = std::process::id() % 10_000;
        // 198.18.0.0/15 is for benchmarking (RFC 2544): never a real address.
        let subnet = free_subnet((std::process::id() % 250 + 1) as u8);
        let rig = NatRig {
            lan_ns: format!("hs-lan-{id}"),
            router_ns: format!("hs-rtr-{id}"),
            wan_link: format!("hsw{id}"),
            wan_router_side: format!("hsx{id}"),
            lan_link: format!("hsl{id}"),
            subnet,
            lan_host: 2,
            router_public_host: 1,
        };
        // Leftovers of a run that was killed.
        rig.tear_down();
        let (lan, rtr) = (&rig.lan_ns, &rig.router_ns);
        let lan_router_side = format!("hsr{id}");
        let wan_router_side = &rig.wan_router_side;
        run("ip", &["netns", "add", lan]);
        run("ip", &["netns", "add", rtr]);
        run(
            "ip",
            &[
                "link",
                "add",
                &rig.lan_link,
                "netns",
                lan,
                "type",
                "veth",
                "peer",
                "name",
                &lan_router_side,
                "netns",
                rtr,
            ],
        );
        run(
            "ip",
            &[
                "link",
                "add",
                &rig.wan_link,
                "type",
                "veth",
                "peer",
                "name",
                wan_router_side,
                "netns",
                rtr,
            ],
        );
        in_ns(lan, &["ip", "link", "set", "lo", "up"]);
        in_ns(lan, &["ip", "link", "set", &rig.lan_link, "up"]);
        rig.number_lan();
        in_ns(rtr, &["ip", "link", "set", "lo", "up"]);
        in_ns(
            rtr,
            &[
                "ip",
                "addr",
                "add",
                &format!("10.{subnet}.0.1/24"),
                "dev",
                &lan_router_side,
            ],
        );
        in_ns(rtr, &["ip", "link", "set", &lan_router_side, "up"]);
        in_ns(
            rtr,
            &[
                "ip",
                "addr",
                "add",
                &format!("{}/24", rig.public_ip()),
                "dev",
                wan_router_side,
            ],
        );
        in_ns(rtr, &["ip", "link", "set", wan_router_side, "up"]);
        in_ns(rtr, &["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
        in_ns(rtr, &["nft", "add", "table", "ip", "nat"]);
        in_ns(
            rtr,
            &[
                "nft",
                "add chain ip nat post { type nat hook postrouting priority 100 ; }",
            ],
        );
        in_ns(
            rtr,
            &[
                "nft",
                &format!("add rule ip nat post oifname \"{wan_router_side}\" masquerade"),
            ],
        );
        run(
            "ip",
            &[
                "addr",
                "add",
                &format!("{}/24", rig.wan_ip()),
                "dev",
                &rig.wan_link,
            ],
        );
        run("ip", &["link", "set", &rig.wan_link, "up"]);
        rig
    }

    /// Gives the LAN host its address and default route.
    fn number_lan(&self) {
        let s = self.subnet;
        let in_lan = |args: &[&str]| in_ns(&self.lan_ns, args);
        in_lan(&[
            "ip",
            "addr",
            "add",
            &format!("{}/24", self.lan_ip()),
            "dev",
            &self.lan_link,
        ]);
        in_lan(&[
            "ip",
            "route",
            "add",
            "default",
            "via",
            &format!("10.{s}.0.1"),
        ]);
    }

    /// The address of the test's namespace on the WAN link: servers the LAN
    /// must reach through the NAT listen here.
    pub fn wan_ip(&self) -> Ipv4Addr {
        Ipv4Addr::new(198, 18, self.subnet, 2)
    }

    /// The router's public address: what the NAT shows the WAN.
    pub fn public_ip(&self) -> Ipv4Addr {
        Ipv4Addr::new(198, 18, self.subnet, self.router_public_host)
    }

    /// The LAN host's private address.
    pub fn lan_ip(&self) -> Ipv4Addr {
        Ipv4Addr::new(10, self.subnet, 0, self.lan_host)
    }

    /// The WAN cable pulled out (`up = false`) or plugged back in: the
    /// link of the test's namespace to the router goes down or up, the
    /// router's mappings stay.
    pub fn set_wan_link(&self, up: bool) {
        run(
            "ip",
            &[
                "link",
                "set",
                &self.wan_link,
                if up { "up" } else { "down" },
            ],
        );
    }

    /// `program` run inside the LAN namespace.
    pub fn lan_command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.lan_ns]).arg(program);
        c
    }

    /// The laptop moves to another network: a new private address, and a NAT
    /// with a new public address (the router's old mappings go with it:
    /// masquerade forgets them when its address changes).
    pub fn move_to_another_network(&mut self) {
        let wan_router_side = self.wan_router_side.clone();
        let old_public = format!("{}/24", self.public_ip());
        self.router_public_host = 3;
        // Old address first: deleting a primary address deletes the
        // secondaries with it.
        in_ns(
            &self.router_ns,
            &["ip", "addr", "del", &old_public, "dev", &wan_router_side],
        );
        in_ns(
            &self.router_ns,
            &[
                "ip",
                "addr",
                "add",
                &format!("{}/24", self.public_ip()),
                "dev",
                &wan_router_side,
            ],
        );
        in_ns(
            &self.lan_ns,
            &["ip", "addr", "flush", "dev", &self.lan_link],
        );
        self.lan_host = 3;
        self.number_lan();
    }

    fn tear_down(&self) {
        for ns in [&self.lan_ns, &self.router_ns] {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
        let _ = Command::new("ip")
            .args(["link", "del", &self.wan_link])
            .output();
    }
}

impl Drop for NatRig {
    fn drop(&mut self) {
        self.tear_down();
    }
}

/// coturn (Debian `coturn`) as a plain STUN server on `ip:port`: no TURN, no
/// TLS, no database outside `dir`.
pub fn stun_server(
    dir: &std::path::Path,
    ip: impl Into<std::net::IpAddr>,
    port: u16,
) -> crate::Process {
    let ip: std::net::IpAddr = ip.into();
    let home = dir.join(format!("coturn-{port}"));
    std::fs::create_dir_all(&home).expect("coturn dir");
    let mut c = Command::new("turnserver");
    c.args([
        "-n",
        "--stun-only",
        "--no-cli",
        "--no-tls",
        "--no-dtls",
        "--log-file",
        "stdout",
        "--simple-log",
        "-L",
        &ip.to_string(),
        "-p",
        &port.to_string(),
    ])
    .arg("--pidfile")
    .arg(home.join("turnserver.pid"))
    .arg("--db")
    .arg(home.join("turndb"));
    let p = crate::Process::spawn(&format!("coturn-{port}"), c, &home);
    p.wait_for_log("Total General servers", std::time::Duration::from_secs(10));
    p
}

/// A namespace with nothing but its own loopback: whatever runs in it can
/// reach no other machine, whatever address it is told to call (the API
/// fuzz test places calls to whatever schemathesis makes up).
pub struct Isolated {
    ns: String,
}

impl Isolated {
    pub fn new(tag: &str) -> Isolated {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let ns = format!("hs-{tag}-{}-{n}", std::process::id());
        run("ip", &["netns", "add", &ns]);
        let isolated = Isolated { ns };
        in_ns(&isolated.ns, &["ip", "link", "set", "lo", "up"]);
        isolated
    }

    /// `program` to be run inside.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns]).arg(program);
        c
    }
}

impl Drop for Isolated {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).output();
    }
}
