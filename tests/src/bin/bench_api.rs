//! `cargo xtask bench api`: the local HTTP API on loopback, in a release
//! build on this machine.
//! 1. Round trip of `GET /v1/calls` (the call list), p50/p99 over 10,000
//!    requests on one kept-alive connection, next to baresip 1.0's httpd
//!    module answering `GET /?l` (its call list) the same way in the same
//!    run; then `GET /v1/state` (the whole state) and a new connection per
//!    request, as curl makes.
//! 2. Fan-out: 100 WebSocket clients on `/v1/events`, 100 echo calls placed
//!    and hung up: for each event, the time from the engine's broadcast to
//!    the last client that got it; p50/p99/max over every event.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hookswitch_api::token::TokenFile;
use hookswitch_api::{ApiContext, ApiServer};
use hookswitch_phone::api_settings::ApiSettings;
use hookswitch_phone::records::Records;
use hookswitch_phone::state::CallPhase;
use hookswitch_phone::{Action, Engine, PhoneEvent, Reply};
use hookswitch_tests::{Process, free_port, test_config};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const REQUESTS: usize = 10_000;
const CLIENTS: usize = 100;
const CALLS: usize = 100;

/// A plain HTTP/1.1 client: one request at a time, reconnecting when the
/// server closes.
struct Client {
    addr: SocketAddr,
    host: String,
    auth: Option<String>,
    conn: Option<BufReader<TcpStream>>,
}

impl Client {
    fn new(addr: SocketAddr, auth: Option<String>) -> Client {
        Client {
            addr,
            host: addr.to_string(),
            auth,
            conn: None,
        }
    }

    /// GETs `path`; the status. `keep`: reuse the connection.
    fn get(&mut self, path: &str, keep: bool) -> u16 {
        if !keep {
            self.conn = None;
        }
        let conn = self.conn.get_or_insert_with(|| {
            let s = TcpStream::connect(self.addr).expect("connect");
            s.set_nodelay(true).expect("nodelay");
            BufReader::new(s)
        });
        let mut request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n", self.host);
        if let Some(a) = &self.auth {
            request.push_str(&format!("Authorization: Bearer {a}\r\n"));
        }
        if !keep {
            request.push_str("Connection: close\r\n");
        }
        request.push_str("\r\n");
        conn.get_mut().write_all(request.as_bytes()).expect("send");
        let mut line = String::new();
        conn.read_line(&mut line).expect("status line");
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("status line {line:?}"));
        let mut length = 0usize;
        let mut close = false;
        loop {
            line.clear();
            conn.read_line(&mut line).expect("header");
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let lower = l.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse().unwrap_or(0);
            }
            if lower.starts_with("connection:") && lower.contains("close") {
                close = true;
            }
        }
        let mut body = vec![0; length];
        conn.read_exact(&mut body).expect("body");
        if close || !keep {
            self.conn = None;
        }
        status
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn report(what: &str, mut took: Vec<Duration>) -> (Duration, Duration) {
    took.sort_unstable();
    let (p50, p99) = (percentile(&took, 0.50), percentile(&took, 0.99));
    println!(
        "{what:<52} p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        took.last().unwrap().as_secs_f64() * 1e3
    );
    (p50, p99)
}

fn round_trips(client: &mut Client, path: &str, keep: bool) -> Vec<Duration> {
    for _ in 0..REQUESTS / 10 {
        assert_eq!(client.get(path, keep), 200);
    }
    (0..REQUESTS)
        .map(|_| {
            let t = Instant::now();
            assert_eq!(client.get(path, keep), 200);
            t.elapsed()
        })
        .collect()
}

/// baresip with its httpd module: its call list as a page.
fn baresip_httpd(dir: &std::path::Path) -> (Process, SocketAddr) {
    let http = free_port();
    std::fs::write(
        dir.join("config"),
        format!(
            "sip_listen 127.0.0.1:{}\nmodule_path /usr/lib/baresip/modules\n\
             module_app account.so\nmodule_app menu.so\nmodule_app httpd.so\n\
             http_listen 127.0.0.1:{http}\naudio_player aufile,/dev/null\naudio_source aufile,/dev/null\n",
            free_port()
        ),
    )
    .expect("config");
    std::fs::write(dir.join("accounts"), "").expect("accounts");
    let mut cmd = std::process::Command::new("baresip");
    cmd.arg("-f").arg(dir);
    let p = Process::spawn("baresip", cmd, dir);
    p.wait_for_log("baresip is ready", Duration::from_secs(20));
    (p, SocketAddr::from(([127, 0, 0, 1], http)))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = test_config(free_port());
    let (engine, _events) = Engine::start(&config, &Default::default())
        .await
        .expect("engine");
    let token = Arc::new(TokenFile::new(dir.path().join("api-token")));
    let secret = token.read_or_create().expect("token");
    let settings = ApiSettings {
        listen: Some(SocketAddr::from(([127, 0, 0, 1], free_port()))),
        ..ApiSettings::default()
    };
    let ctx = ApiContext {
        engine: engine.clone(),
        records: Records::in_memory(),
        directory: None,
        accounts: Arc::new(Vec::new()),
    };
    let api = ApiServer::start(&settings, token, ctx).await.expect("api");
    let addr = api.local_addr();

    println!("local API round trip on loopback, {REQUESTS} requests each (release build)");
    let measured = tokio::task::spawn_blocking(move || {
        let mut ours = Client::new(addr, Some(secret.clone()));
        let calls = report(
            "hookswitch GET /v1/calls (kept alive)",
            round_trips(&mut ours, "/v1/calls", true),
        );
        let bdir = tempfile::tempdir().expect("temp dir");
        let (_baresip, baddr) = baresip_httpd(bdir.path());
        let mut theirs = Client::new(baddr, None);
        let reference = report(
            "baresip 1.0 httpd GET /?l (kept alive)",
            round_trips(&mut theirs, "/?l", true),
        );
        report(
            "hookswitch GET /v1/state (kept alive)",
            round_trips(&mut ours, "/v1/state", true),
        );
        let fresh = report(
            "hookswitch GET /v1/calls (a connection each)",
            round_trips(&mut ours, "/v1/calls", false),
        );
        let fresh_reference = report(
            "baresip 1.0 httpd GET /?l (a connection each)",
            round_trips(&mut theirs, "/?l", false),
        );
        (calls, reference, fresh, fresh_reference, secret)
    })
    .await
    .expect("round trips");
    let ((p50, p99), (bp50, bp99), (fp50, fp99), (fbp50, fbp99), secret) = measured;
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    println!(
        "ratio hookswitch/baresip: kept alive p50 {:.2}, p99 {:.2}; a connection each p50 {:.2}, p99 {:.2} (goal: p99 under 2 ms: {})",
        ratio(p50, bp50),
        ratio(p99, bp99),
        ratio(fp50, fbp50),
        ratio(fp99, fbp99),
        if p99 < Duration::from_millis(2) {
            "met"
        } else {
            "NOT met"
        }
    );

    // Fan-out: every client connected and past its snapshot first.
    let url = format!("ws://{addr}/v1/events");
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let mut request = url.as_str().into_client_request().expect("request");
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {secret}").parse().expect("header"),
        );
        let (mut ws, _) = tokio_tungstenite::client_async(request, stream)
            .await
            .expect("websocket");
        let first = ws.next().await.expect("snapshot").expect("snapshot");
        assert!(first.to_text().unwrap_or("").contains("\"snapshot\""));
        clients.push(ws);
    }
    // The last event of the run is DND on: everyone stops there.
    let is_marker = |text: &str| text.contains("\"event\":\"dnd\"") && text.contains("\"on\":true");
    let mut tasks = Vec::new();
    for mut ws in clients {
        tasks.push(tokio::spawn(async move {
            let mut at = Vec::new();
            while let Some(Ok(m)) = ws.next().await {
                if let Ok(text) = m.to_text() {
                    assert!(!text.contains("\"lagged\""), "a client lagged");
                    at.push(Instant::now());
                    if is_marker(text) {
                        break;
                    }
                }
            }
            at
        }));
    }
    let mut engine_events = engine.subscribe();
    let watcher = tokio::spawn(async move {
        let mut at = Vec::new();
        while let Ok(e) = engine_events.recv().await {
            at.push(Instant::now());
            if matches!(e, PhoneEvent::Dnd { on: true, .. }) {
                break;
            }
        }
        at
    });
    let mut state = engine.watch_state();
    for _ in 0..CALLS {
        let call = match engine
            .act(Action::Call {
                target: "echo".into(),
                account: None,
                audio: None,
            })
            .await
        {
            Ok(Reply::Call(c)) => c,
            other => panic!("echo call: {other:?}"),
        };
        state
            .wait_for(|s| {
                s.call(call)
                    .is_some_and(|c| c.phase == CallPhase::Connected)
            })
            .await
            .expect("connected");
        engine
            .act(Action::Hangup { call: Some(call) })
            .await
            .expect("hang up");
        state
            .wait_for(|s| s.call(call).is_none())
            .await
            .expect("ended");
    }
    engine
        .act(Action::Dnd {
            on: true,
            account: None,
        })
        .await
        .expect("dnd");
    let published = watcher.await.expect("watcher");
    let mut last = vec![Duration::ZERO; published.len()];
    for t in tasks {
        let got = t.await.expect("client");
        assert_eq!(got.len(), published.len(), "a client missed events");
        for (i, at) in got.iter().enumerate() {
            last[i] = last[i].max(at.saturating_duration_since(published[i]));
        }
    }
    println!(
        "{CLIENTS} WebSocket clients, {CALLS} echo calls: {} events each",
        published.len()
    );
    report("engine event -> the last of 100 clients", last);
    drop(api);
}
