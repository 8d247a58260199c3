//! kamailio as registrar and proxy with digest auth: users alice, bob and the
//! extension 2000, passwords `<user>-secret`, REGISTER challenged with 401,
//! INVITE with 407.

use std::path::{Path, PathBuf};
use std::process::Command;

use hookswitch_phone::config::AccountSettings;
use hookswitch_phone::{Config, Engine, Passwords, PhoneEvent};
use tokio::sync::broadcast;

use crate::Process;

pub const USERS: [(&str, &str); 3] = [
    ("alice", "alice-secret"),
    ("bob", "bob-secret"),
    ("2000", "2000-secret"),
];

/// The password of `user`, one of [`USERS`].
pub fn password(user: &str) -> &'static str {
    USERS
        .iter()
        .find(|(u, _)| *u == user)
        .expect("one of kamailio's users")
        .1
}

pub struct Kamailio {
    /// The address it listens on (127.0.0.1 unless configured with `configure_on`).
    pub ip: std::net::IpAddr,
    pub port: u16,
    /// The TLS listener's port, when configured with one.
    pub tls_port: Option<u16>,
    dir: PathBuf,
    config: PathBuf,
}

/// A TLS listener for kamailio: its port and the server certificate it shows.
pub struct TlsListener<'a> {
    pub port: u16,
    pub certificate: &'a Path,
    pub private_key: &'a Path,
}

impl Kamailio {
    /// UDP and TCP on `port`.
    pub fn configure(dir: &Path, port: u16) -> Kamailio {
        Kamailio::configure_with(dir, port, None)
    }

    /// UDP and TCP on `port`, and TLS as `tls` says. Clients on TCP or TLS are
    /// reached back over their own connection (as a registrar does for clients
    /// behind NAT), so a client need not accept connections.
    pub fn configure_with(dir: &Path, port: u16, tls: Option<TlsListener<'_>>) -> Kamailio {
        Kamailio::configure_on(dir, [127, 0, 0, 1].into(), port, tls)
    }

    /// Listening on `ip` (an address of this network namespace) instead of
    /// loopback.
    pub fn configure_on(
        dir: &Path,
        ip: std::net::IpAddr,
        port: u16,
        tls: Option<TlsListener<'_>>,
    ) -> Kamailio {
        Kamailio::build(dir, ip, port, tls, &Extras::default())
    }

    /// As `configure`, challenging REGISTER and INVITE with digest
    /// `algorithm` ("MD5" or "SHA-256": what kamailio 5.6's auth module
    /// offers) and `qop=auth`.
    pub fn configure_digest(dir: &Path, port: u16, algorithm: &str) -> Kamailio {
        let extras = Extras {
            digest_algorithm: Some(algorithm),
            qop: true,
            ..Extras::default()
        };
        Kamailio::build(dir, [127, 0, 0, 1].into(), port, None, &extras)
    }

    /// As `configure`, forking each call in parallel to every contact of
    /// the AOR (kamailio's default), and holding back every 2xx to an
    /// INVITE until two different branches have answered. A proxy relays
    /// the first 2xx and CANCELs the other branches at once; held like
    /// this, both phones have answered before any CANCEL, so the caller
    /// surely gets two 2xx with different To tags (RFC 3261 16.7 step 5:
    /// the proxy forwards every 2xx), whichever phone's software is faster.
    /// The phones retransmit their 2xx (Timer G) until one gets through.
    pub fn configure_forking(dir: &Path, port: u16) -> Kamailio {
        let gate = r#"
    if ($rm == "INVITE" && status =~ "^2") {
        if ($shv(first_answer) == 0) { $shv(first_answer) = $sp; }
        if ($sp != $shv(first_answer)) { $shv(both_answered) = 1; }
        if ($shv(both_answered) != 1) {
            xlog("L_INFO", "2xx from port $sp held until both branches answer\n");
            drop();
        }
    }
"#;
        let extras = Extras {
            reply_gate: gate,
            ..Extras::default()
        };
        Kamailio::build(dir, [127, 0, 0, 1].into(), port, None, &extras)
    }

    /// As `configure`, and a presence server (RFC 3856/3903): PUBLISH and
    /// SUBSCRIBE for `presence` are handled by kamailio's presence and
    /// presence_xml modules (Debian's kamailio-presence-modules), their
    /// tables in db_text files of its own; watchers are authorized at once
    /// (`force_active`), as an office PBX does for its users.
    pub fn configure_presence(dir: &Path, port: u16) -> Kamailio {
        let extras = Extras {
            presence: true,
            ..Extras::default()
        };
        Kamailio::build(dir, [127, 0, 0, 1].into(), port, None, &extras)
    }

    /// As `configure_presence`, and busy lamps (RFC 4235): every call through
    /// it is followed by the dialog module and published as dialog-info
    /// with its Call-ID and tags (pua_dialoginfo), which
    /// presence_dialoginfo serves to `dialog` subscribers.
    pub fn configure_blf(dir: &Path, port: u16) -> Kamailio {
        let extras = Extras {
            presence: true,
            blf: true,
            ..Extras::default()
        };
        Kamailio::build(dir, [127, 0, 0, 1].into(), port, None, &extras)
    }

    fn build(
        dir: &Path,
        ip: std::net::IpAddr,
        port: u16,
        tls: Option<TlsListener<'_>>,
        extras: &Extras<'_>,
    ) -> Kamailio {
        let reply_gate = extras.reply_gate;
        let auth_algorithm = match extras.digest_algorithm {
            Some(a) => format!("modparam(\"auth\", \"algorithm\", \"{a}\")\n"),
            None => String::new(),
        };
        // auth module flags: 1 = qop=auth in the challenge.
        let flags = if extras.qop { "1" } else { "0" };
        // IPv6 addresses go in brackets in listen lines and URIs.
        let ip_text = match ip {
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
            std::net::IpAddr::V4(v4) => v4.to_string(),
        };
        let home = dir.join(format!("kamailio-{port}"));
        std::fs::create_dir_all(&home).expect("kamailio dir");
        let tls_globals = match &tls {
            Some(t) => {
                let tls_cfg = home.join("tls.cfg");
                let body = format!(
                    "[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\n\
                     require_certificate = no\nprivate_key = {}\ncertificate = {}\n\n\
                     [client:default]\nmethod = TLSv1.2+\nverify_certificate = no\n\
                     require_certificate = no\n",
                    t.private_key.display(),
                    t.certificate.display()
                );
                std::fs::write(&tls_cfg, body).expect("kamailio tls.cfg");
                format!(
                    "enable_tls=yes\nlisten=tls:{ip_text}:{}\nloadmodule \"/usr/lib/x86_64-linux-gnu/kamailio/modules/tls.so\"\n\
                     modparam(\"tls\", \"config\", \"{}\")\n",
                    t.port,
                    tls_cfg.display()
                )
            }
            None => String::new(),
        };
        let (presence_modules, presence_in_dialog, presence_route) = if extras.presence {
            let db = home.join("db");
            std::fs::create_dir_all(&db).expect("kamailio db dir");
            for table in [
                "version",
                "presentity",
                "active_watchers",
                "watchers",
                "xcap",
                "pua",
            ] {
                std::fs::copy(
                    Path::new("/usr/share/kamailio/dbtext/kamailio").join(table),
                    db.join(table),
                )
                .expect("kamailio's db_text tables (package kamailio)");
            }
            (
                format!(
                    "loadmodule \"db_text.so\"\nloadmodule \"presence.so\"\nloadmodule \"presence_xml.so\"\n\
                     modparam(\"presence\", \"db_url\", \"text://{db}\")\n\
                     modparam(\"presence\", \"server_address\", \"sip:{ip_text}:{port}\")\n\
                     modparam(\"presence_xml\", \"db_url\", \"text://{db}\")\n\
                     modparam(\"presence_xml\", \"force_active\", 1)\n",
                    db = db.display()
                ),
                "        if (is_method(\"SUBSCRIBE\")) { route(PRESENCE); exit; }\n",
                format!(
                    "    if (is_method(\"PUBLISH\") && src_ip == myself) {{ route(PRESENCE); exit; }}\n\
                     \x20   if (is_method(\"PUBLISH|SUBSCRIBE\")) {{\n\
                     \x20       $var(user) = $fU;\n\
                     \x20       $var(pw) = \"\";\n{passwords_publish}\
                     \x20       if (!pv_proxy_authenticate(\"$fd\", \"$var(pw)\", \"0\")) {{ proxy_challenge(\"$fd\", \"0\"); exit; }}\n\
                     \x20       consume_credentials();\n\
                     \x20       route(PRESENCE);\n\
                     \x20       exit;\n\
                     \x20   }}\n",
                    passwords_publish = USERS
                        .iter()
                        .map(|(u, p)| format!(
                            "        if ($var(user) == \"{u}\") {{ $var(pw) = \"{p}\"; }}\n"
                        ))
                        .collect::<String>()
                ),
            )
        } else {
            (String::new(), "", String::new())
        };
        let (blf_modules, blf_invite) = if extras.blf {
            (
                format!(
                    "loadmodule \"dialog.so\"\nloadmodule \"pua.so\"\nloadmodule \"pua_dialoginfo.so\"\n\
                     loadmodule \"presence_dialoginfo.so\"\n\
                     modparam(\"dialog\", \"dlg_flag\", 4)\n\
                     modparam(\"pua\", \"db_url\", \"text://{db}\")\n\
                     modparam(\"pua_dialoginfo\", \"include_callid\", 1)\n\
                     modparam(\"pua_dialoginfo\", \"include_tags\", 1)\n\
                     modparam(\"pua_dialoginfo\", \"include_localremote\", 1)\n",
                    db = home.join("db").display()
                ),
                "        dlg_manage();\n",
            )
        } else {
            (String::new(), "")
        };
        let presence_block = if extras.presence {
            "\nroute[PRESENCE] {\n    if (!t_newtran()) { sl_reply_error(); exit; }\n    \
             if (is_method(\"PUBLISH\")) { handle_publish(); } else { handle_subscribe(); }\n    \
             xlog(\"L_INFO\", \"$rm of $fU for $tU answered\\n\");\n}\n"
        } else {
            ""
        };
        let passwords: String = USERS
            .iter()
            .map(|(u, p)| format!("    if ($var(user) == \"{u}\") {{ $var(pw) = \"{p}\"; }}\n"))
            .collect();
        let cfg = format!(
            r#"#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=2
listen=udp:{ip_text}:{port}
listen=tcp:{ip_text}:{port}
{tls_globals}mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "auth.so"
loadmodule "nathelper.so"
modparam("nathelper", "received_avp", "$avp(RECEIVED)")
modparam("registrar", "received_avp", "$avp(RECEIVED)")
modparam("registrar", "min_expires", 2)
modparam("registrar", "default_expires", 60)
{presence_modules}{blf_modules}
modparam("auth", "nonce_expire", 300)
{auth_algorithm}modparam("pv", "shvset", "first_answer=i:0")
modparam("pv", "shvset", "both_answered=i:0")

request_route {{
    if (!mf_process_maxfwd_header("10")) {{ sl_send_reply("483", "Too Many Hops"); exit; }}
    if (proto == TCP || proto == TLS) {{
        if (is_method("REGISTER")) {{ fix_nated_register(); }}
        else if (is_method("INVITE|UPDATE|SUBSCRIBE|REFER")) {{ set_contact_alias(); }}
    }}
    if (has_totag()) {{
{presence_in_dialog}        if (loose_route()) {{ handle_ruri_alias(); t_relay(); exit; }}
        if (is_method("ACK")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
        sl_send_reply("404", "Not here");
        exit;
    }}
    if (is_method("CANCEL")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}
    if (is_method("OPTIONS") && $rU == $null) {{
        xlog("L_INFO", "OPTIONS from $si:$sp\n");
        sl_send_reply("200", "OK");
        exit;
    }}
{presence_route}    if (is_method("REGISTER")) {{
        xlog("L_INFO", "REGISTER of $tU over $pr\n");
        $var(user) = $tU;
        $var(pw) = "";
{passwords}        if (!pv_www_authenticate("$td", "$var(pw)", "0")) {{ www_challenge("$td", "{flags}"); exit; }}
        xlog("L_INFO", "REGISTER answered with algorithm $(hdr(Authorization){{re.subst,/.*algorithm=([A-Za-z0-9-]+).*/\\1/}}) qop $(hdr(Authorization){{re.subst,/.*qop=([a-z-]+).*/\\1/}})\n");
        consume_credentials();
        if (!save("location")) {{ sl_reply_error(); exit; }}
        xlog("L_INFO", "REGISTER of $tU saved with Expires $hdr(Expires)\n");
        exit;
    }}
    if (is_method("INVITE|MESSAGE")) {{
        $var(user) = $fU;
        $var(pw) = "";
{passwords}        if (!pv_proxy_authenticate("$fd", "$var(pw)", "0")) {{ proxy_challenge("$fd", "{flags}"); exit; }}
        consume_credentials();
        if (is_method("INVITE")) {{ record_route(); }}
{blf_invite}
    }}
    if (!lookup("location")) {{ sl_send_reply("404", "Not Found"); exit; }}
    t_relay();
}}

{presence_block}
onreply_route {{
{reply_gate}
    if ((proto == TCP || proto == TLS) && status =~ "^(1[0-9][1-9]|2[0-9][0-9])" && is_present_hf("Contact")) {{ set_contact_alias(); }}
}}
"#
        );
        let config = home.join("kamailio.cfg");
        std::fs::write(&config, cfg).expect("kamailio config");
        Kamailio {
            ip,
            port,
            tls_port: tls.map(|t| t.port),
            dir: home,
            config,
        }
    }

    /// Starts kamailio in the foreground (its children die with it).
    pub fn start(&self) -> Process {
        let mut cmd = Command::new("kamailio");
        cmd.arg("-f")
            .arg(&self.config)
            .args(["-DD", "-E", "-w"])
            .arg(&self.dir)
            .arg("-P")
            .arg(self.dir.join("kamailio.pid"));
        let p = Process::spawn(&format!("kamailio-{}", self.port), cmd, &self.dir);
        p.wait_for_log("SO_RCVBUF is finally", std::time::Duration::from_secs(10));
        // The socket exists before the worker processes do: ready when an
        // OPTIONS gets an answer (seen once on a cold CI run: REGISTERs sent
        // on the socket log line went unanswered for 20 s).
        self.wait_answering(&p);
        p
    }

    fn wait_answering(&self, p: &Process) {
        let probe = std::net::UdpSocket::bind((self.ip, 0)).expect("bind");
        probe
            .set_read_timeout(Some(std::time::Duration::from_millis(200)))
            .expect("timeout");
        let me = probe.local_addr().expect("addr");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        for n in 0.. {
            let options = format!(
                "OPTIONS sip:probe@{ip}:{port} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bKprobe{n};rport\r\n\
                 Max-Forwards: 70\r\nFrom: <sip:probe@{me}>;tag=p{n}\r\nTo: <sip:probe@{ip}:{port}>\r\n\
                 Call-ID: probe-{n}-{port}@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
                port = self.port,
                ip = match self.ip {
                    std::net::IpAddr::V6(v6) => format!("[{v6}]"),
                    v4 => v4.to_string(),
                },
            );
            let _ = probe.send_to(options.as_bytes(), (self.ip, self.port));
            let mut buf = [0u8; 2048];
            if probe
                .recv(&mut buf)
                .is_ok_and(|len| buf[..len].starts_with(b"SIP/2.0 "))
            {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "kamailio does not answer:\n{}",
                p.log()
            );
        }
    }
}

/// What some tests add to the configuration.
#[derive(Default)]
struct Extras<'a> {
    /// onreply_route lines run before the usual ones.
    reply_gate: &'a str,
    digest_algorithm: Option<&'a str>,
    qop: bool,
    /// A presence server too (presence, presence_xml on db_text).
    presence: bool,
    /// And busy lamps: the dialog module's calls published as dialog-info
    /// (pua_dialoginfo), served by presence_dialoginfo.
    blf: bool,
}

/// An account of `user` at a kamailio on 127.0.0.1:`registrar_port` over UDP.
pub fn account(user: &str, registrar_port: u16, expires: u32) -> AccountSettings {
    AccountSettings {
        name: user.into(),
        aor: format!("sip:{user}@127.0.0.1:{registrar_port}"),
        display_name: Some(user.to_uppercase()),
        auth_user: None,
        registrar: None,
        outbound_proxy: None,
        transport: "udp".into(),
        expires,
        register: true,
        codecs: None,
        tls_ca_file: None,
        srtp: Default::default(),
        calls: None,
        subscribe_voicemail: false,
        presence: false,
        blf: Vec::new(),
        pickup_prefix: "*8".into(),
        default: false,
        balance: None,
    }
}

/// Waits for "registered". A failure the phone will retry (the registrar is
/// restarting) is part of the way there; a final one fails the test.
pub async fn registered(events: &mut broadcast::Receiver<PhoneEvent>) {
    crate::expect_event(
        events,
        std::time::Duration::from_secs(20),
        "registered",
        |e| match e {
            PhoneEvent::Registration { state, detail, .. } => match state.as_str() {
                "registered" => Some(()),
                "failed" if detail.as_deref().is_some_and(|d| d.contains("retrying")) => None,
                "failed" => panic!("registration failed for good: {detail:?}"),
                _ => None,
            },
            _ => None,
        },
    )
    .await;
}

/// An engine with `config` and `account` (one of [`USERS`], its password
/// given), started.
pub async fn phone(
    account: AccountSettings,
    mut config: Config,
) -> (Engine, broadcast::Receiver<PhoneEvent>) {
    let user = account.name.clone();
    config.accounts.push(account);
    let password = USERS
        .iter()
        .find(|(u, _)| *u == user)
        .expect("known user")
        .1;
    let passwords = Passwords::from([(user, password.to_string())]);
    crate::start_engine(&config, &passwords).await
}
