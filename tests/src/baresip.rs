//! baresip (Debian `baresip-core`) as a peer, headless: plays a WAV file, records
//! what it receives (sndfile module), auto-answers when asked.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Process;

pub struct Baresip {
    pub dir: PathBuf,
    /// The address it listens on (127.0.0.1, or ::1 after `on_ipv6`).
    pub ip: std::net::IpAddr,
    pub port: u16,
    pub dumps: PathBuf,
    /// Its ctrl_tcp port: commands as netstring-framed JSON.
    pub ctrl: u16,
    /// Its UDP console's port, after `with_messages`.
    pub cons: Option<u16>,
}

/// baresip's UDP console as the test reads it.
pub struct BaresipConsole {
    socket: std::net::UdpSocket,
    /// Everything printed so far.
    pub text: String,
}

impl BaresipConsole {
    /// Takes in what came since the last read.
    pub fn read(&mut self) {
        let mut buf = vec![0u8; 65536];
        while let Ok(n) = self.socket.recv(&mut buf) {
            self.text.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }

    /// Waits until the console printed `what`.
    pub fn wait_for(&mut self, what: &str, timeout: std::time::Duration) {
        let deadline = std::time::Instant::now() + timeout;
        while !self.text.contains(what) {
            assert!(
                std::time::Instant::now() < deadline,
                "baresip's console never printed {what:?}; it printed:\n{}",
                self.text
            );
            self.read();
        }
    }
}

impl Baresip {
    /// Writes a configuration in `dir/baresip-<port>` playing `play` (a WAV file).
    pub fn configure(dir: &Path, port: u16, play: &Path, codec: &str, transport: &str) -> Baresip {
        let home = dir.join(format!("baresip-{port}"));
        let dumps = home.join("dumps");
        std::fs::create_dir_all(&dumps).expect("baresip dir");
        let ctrl = crate::free_port();
        let config = format!(
            "poll_method epoll\n\
             sip_listen 127.0.0.1:{port}\n\
             net_interface 127.0.0.1\n\
             audio_player aubridge,nil\n\
             audio_source aufile,{play}\n\
             audio_alert aubridge,nil\n\
             audio_srate 8000-48000\n\
             module_path /usr/lib/baresip/modules\n\
             module g711.so\n\
             module g722.so\n\
             module opus.so\n\
             module aufile.so\n\
             module aubridge.so\n\
             module sndfile.so\n\
             snd_path {dumps}\n\
             module_app account.so\n\
             module_app menu.so\n\
             module_app ctrl_tcp.so\n\
             ctrl_tcp_listen 127.0.0.1:{ctrl}\n\
             rtp_ports {rtp}-{rtp_end}\n",
            play = play.display(),
            dumps = dumps.display(),
            // Inside the kernel's ephemeral range, away from the ports tests hand out.
            rtp = 40000,
            rtp_end = 59999,
        );
        std::fs::write(home.join("config"), config).expect("baresip config");
        let accounts = format!(
            "<sip:bob@127.0.0.1;transport={transport}>;regint=0;answermode=auto;audio_codecs={codec}\n"
        );
        std::fs::write(home.join("accounts"), accounts).expect("baresip accounts");
        Baresip {
            dir: home,
            ip: [127, 0, 0, 1].into(),
            port,
            dumps,
            ctrl,
            cons: None,
        }
    }

    /// Records nothing (no sndfile module): for measuring baresip's own
    /// cost, as a user's baresip would run.
    pub fn lean(self) -> Baresip {
        let config = self.dir.join("config");
        let text = std::fs::read_to_string(&config).expect("baresip config");
        let text: String = text
            .lines()
            .filter(|l| !l.contains("sndfile") && !l.starts_with("snd_path"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&config, text).expect("baresip config");
        self
    }

    /// Listens for SIP over TLS too (on `port + 1`, as baresip does), showing
    /// `certificate` (server certificate then its key, in one PEM file), and
    /// encrypts media as `mediaenc` says: `srtp` (best effort, RTP/AVP with
    /// keys), `srtp-mand` (RTP/SAVP), or `None` (no SRTP).
    pub fn with_tls(self, certificate: &Path, mediaenc: Option<&str>, codec: &str) -> Baresip {
        self.add_config(&format!(
            "sip_certificate {}\nmodule srtp.so",
            certificate.display()
        ));
        let mediaenc = mediaenc.map_or(String::new(), |m| format!(";mediaenc={m}"));
        let accounts = format!(
            "<sip:bob@127.0.0.1;transport=tls>;regint=0;answermode=auto;audio_codecs={codec}{mediaenc}\n"
        );
        std::fs::write(self.dir.join("accounts"), accounts).expect("baresip accounts");
        self
    }

    /// A far end for the window's tests: PCMU over UDP, playing 30 s of
    /// 440 Hz, on a port of its own.
    pub fn playing_tone(dir: &Path) -> Baresip {
        let tone = dir.join("tone-440.wav");
        if !tone.exists() {
            crate::write_tone(&tone, 440.0, 8000, 30.0);
        }
        Baresip::configure(dir, crate::free_port(), &tone, "PCMU", "udp")
    }

    /// Listens on [::1] instead of 127.0.0.1 (SIP and media over IPv6).
    pub fn on_ipv6(mut self) -> Baresip {
        for file in ["config", "accounts"] {
            let path = self.dir.join(file);
            let text = std::fs::read_to_string(&path).expect("baresip file");
            let text = text
                .replace("sip_listen 127.0.0.1:", "sip_listen [::1]:")
                .replace("net_interface 127.0.0.1", "net_interface ::1")
                .replace("bob@127.0.0.1", "bob@[::1]");
            std::fs::write(&path, text).expect("baresip file");
        }
        self.ip = std::net::Ipv6Addr::LOCALHOST.into();
        self
    }

    /// Registered as `user` (one of the kamailio users, `password` theirs)
    /// at `registrar` every `regint` seconds, answering calls at once.
    pub fn with_account(
        self,
        user: &str,
        password: &str,
        registrar: std::net::SocketAddr,
        regint: u32,
        codec: &str,
    ) -> Baresip {
        let accounts = format!(
            "<sip:{user}@{registrar};transport=udp>;auth_pass={password};regint={regint};answermode=auto;audio_codecs={codec}\n"
        );
        std::fs::write(self.dir.join("accounts"), accounts).expect("baresip accounts");
        self
    }

    /// Calls with a display name (`"Bob Baresip" <sip:bob@...>` in From).
    pub fn with_display_name(self, name: &str) -> Baresip {
        let path = self.dir.join("accounts");
        let accounts = std::fs::read_to_string(&path).expect("baresip accounts");
        std::fs::write(&path, format!("\"{name}\" {accounts}")).expect("baresip accounts");
        self
    }

    /// Instant messages: `message` (ctrl_tcp, [`Baresip::send_message`])
    /// goes to `peer` (its contact module's only, so current, contact), and
    /// what comes in is printed on its UDP console (cons module, read with
    /// [`Baresip::console`]).
    pub fn with_messages(mut self, peer: &str) -> Baresip {
        let cons = crate::free_port();
        self.add_config(&format!(
            "module_app contact.so\nmodule cons.so\ncons_listen 127.0.0.1:{cons}"
        ));
        std::fs::write(self.dir.join("contacts"), format!("\"Peer\" <{peer}>\n"))
            .expect("baresip contacts");
        self.cons = Some(cons);
        self
    }

    /// Adds lines to its configuration file.
    fn add_config(&self, lines: &str) {
        use std::io::Write;
        let mut config = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.join("config"))
            .expect("baresip config");
        writeln!(config, "{lines}").expect("baresip config");
    }

    /// A registered user of a kamailio presence server: `user` (one of the
    /// kamailio users, `password` theirs) publishes its presence there
    /// (presence module, PUBLISH of open/closed), and watches `watch`'s
    /// (SUBSCRIBE through the server), logging each change as
    /// `presence: update status of '<uri>' from '<old>' to '<new>'`.
    pub fn with_presence_account(
        self,
        user: &str,
        password: &str,
        server: std::net::SocketAddr,
        watch: &str,
    ) -> Baresip {
        // After the contacts, so that it subscribes to them.
        self.add_config("module_app contact.so\nmodule_app presence.so");
        let accounts = format!(
            "<sip:{user}@{server};transport=udp>;auth_pass={password};regint=600;pubint=600;answermode=manual\n"
        );
        std::fs::write(self.dir.join("accounts"), accounts).expect("baresip accounts");
        std::fs::write(
            self.dir.join("contacts"),
            format!("\"Watched\" <{watch}>;presence=p2p\n"),
        )
        .expect("baresip contacts");
        self
    }

    /// Sends `text` to the contact of `with_messages`.
    pub fn send_message(&self, text: &str) -> std::io::Result<String> {
        self.command("message", text)
    }

    /// baresip's UDP console, attached: what baresip prints for the user
    /// (an incoming message as `sip:from@host: "text"`) comes to it.
    pub fn console(&self) -> BaresipConsole {
        let port = self.cons.expect("with_messages first");
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("console socket");
        socket
            .set_read_timeout(Some(std::time::Duration::from_millis(200)))
            .expect("console timeout");
        // Any line makes cons answer, and remember us as its listener.
        socket
            .send_to(b"\n", ("127.0.0.1", port))
            .expect("console send");
        let mut console = BaresipConsole {
            socket,
            text: String::new(),
        };
        crate::wait_until(
            std::time::Duration::from_secs(10),
            "baresip's console",
            || {
                console.read();
                !console.text.is_empty()
            },
        );
        console
    }

    /// The port baresip takes SIP over TLS on.
    pub fn tls_port(&self) -> u16 {
        self.port + 1
    }

    /// Talks and listens through ALSA's default device (PulseAudio, through
    /// its ALSA plugin) instead of the tone file and the nil player.
    pub fn on_sound_device(self) -> Baresip {
        let config = self.dir.join("config");
        let text = std::fs::read_to_string(&config).expect("baresip config");
        let mut text: String = text
            .lines()
            .map(|l| match l.split(' ').next() {
                Some(key @ ("audio_player" | "audio_alert" | "audio_source")) => {
                    format!("{key} alsa,default")
                }
                _ => l.to_string(),
            })
            .map(|l| format!("{l}\n"))
            .collect();
        text.push_str("module alsa.so\n");
        std::fs::write(&config, text).expect("baresip config");
        self
    }

    /// Runs baresip for `seconds`; with `dial`, it calls that URI at start.
    pub fn start(&self, seconds: u32, dial: Option<&str>) -> Process {
        self.start_with(Command::new("baresip"), seconds, dial)
    }

    /// As `start`, with a command of the caller's (its environment: a
    /// PulseAudio server's, say).
    pub fn start_with(&self, mut cmd: Command, seconds: u32, dial: Option<&str>) -> Process {
        cmd.arg("-f")
            .arg(&self.dir)
            .args(["-t", &seconds.to_string()]);
        if let Some(uri) = dial {
            cmd.args(["-e", &format!("/dial {uri}")]);
        }
        let p = Process::spawn(&format!("baresip-{}", self.port), cmd, &self.dir);
        crate::wait_udp_bound(&p, std::net::SocketAddr::new(self.ip, self.port));
        p
    }

    /// Runs a menu command through ctrl_tcp (e.g. `sndcode 123` sends DTMF in
    /// the current call) and returns baresip's answer.
    pub fn command(&self, command: &str, params: &str) -> std::io::Result<String> {
        use std::io::{Read, Write};
        let json = format!("{{\"command\":\"{command}\",\"params\":\"{params}\",\"token\":\"t\"}}");
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.ctrl))?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
        s.write_all(format!("{}:{json},", json.len()).as_bytes())?;
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf)?;
        Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    /// Its calls now, as its `listcalls` command lists them: the remote
    /// URI of each. Its log cannot say: baresip writes to a file in blocks,
    /// and once a call ends (its status line stops) the last lines wait.
    pub fn calls(&self) -> Vec<String> {
        let answer = self.command("listcalls", "").unwrap_or_default();
        answer
            .split("\\n")
            .filter(|l| l.contains("[line "))
            .filter_map(|l| l.split_whitespace().last())
            .map(str::to_string)
            .collect()
    }

    /// The RFC 4733 keys baresip 1.0 logged as received (each logged as it
    /// starts and ends; the ends are counted), in order.
    pub fn dtmf_heard(log: &str) -> String {
        log.split("received event: '")
            .skip(1)
            .filter(|rest| rest.get(1..).is_some_and(|r| r.starts_with("' (end=1)")))
            .filter_map(|rest| rest.chars().next())
            .collect()
    }

    /// The recording of what baresip received (`dump-*-dec.wav`), once written.
    pub fn received_recording(&self) -> Option<PathBuf> {
        std::fs::read_dir(&self.dumps)
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with("-dec.wav"))
            })
    }
}
