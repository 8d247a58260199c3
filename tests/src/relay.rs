//! A UDP relay between a client and a server that drops chosen datagrams: the
//! "lossy network" for retransmission tests. Clients reach `relay.addr`; the
//! server sees the relay's back socket as the client.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Drop the first `count` datagrams going one way whose text starts with `prefix`.
#[derive(Debug, Clone)]
pub struct DropRule {
    pub to_server: bool,
    pub prefix: &'static str,
    pub count: usize,
}

pub struct Relay {
    pub addr: SocketAddr,
    dropped: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Relay {
    pub fn start(server: SocketAddr, rules: Vec<DropRule>) -> Relay {
        let front = Arc::new(UdpSocket::bind("127.0.0.1:0").expect("bind front"));
        let back = Arc::new(UdpSocket::bind("127.0.0.1:0").expect("bind back"));
        for s in [&front, &back] {
            s.set_read_timeout(Some(Duration::from_millis(50)))
                .expect("timeout");
        }
        let addr = front.local_addr().expect("addr");
        let client: Arc<Mutex<Option<SocketAddr>>> = Arc::default();
        let rules = Arc::new(Mutex::new(rules));
        let dropped = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let forward = |from: Arc<UdpSocket>, to: Arc<UdpSocket>, to_server: bool| {
            let (client, rules, dropped, stop) =
                (client.clone(), rules.clone(), dropped.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 65536];
                while !stop.load(Ordering::Relaxed) {
                    let Ok((n, src)) = from.recv_from(&mut buf) else {
                        continue;
                    };
                    let data = &buf[..n];
                    if to_server {
                        *client.lock().expect("lock") = Some(src);
                    }
                    let drop = rules.lock().expect("lock").iter_mut().any(|r| {
                        let hit = r.to_server == to_server
                            && r.count > 0
                            && data.starts_with(r.prefix.as_bytes());
                        if hit {
                            r.count -= 1;
                        }
                        hit
                    });
                    if drop {
                        dropped.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    let dest = if to_server {
                        Some(server)
                    } else {
                        *client.lock().expect("lock")
                    };
                    if let Some(d) = dest {
                        let _ = to.send_to(data, d);
                    }
                }
            })
        };
        let threads = vec![
            forward(front.clone(), back.clone(), true),
            forward(back, front, false),
        ];
        Relay {
            addr,
            dropped,
            stop,
            threads,
        }
    }

    /// How many datagrams the rules dropped so far.
    pub fn dropped(&self) -> usize {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
