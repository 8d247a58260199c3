//! SIP transports at the edge: one UDP socket, and TCP and TLS streams with
//! Content-Length framing and connection reuse (one connection per transport and
//! peer address; either side may open a TCP one, we open the TLS ones). What cannot
//! be delivered is reported back, so the UA fails fast with the reason.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hookswitch_sip::message::parse_stream;
use hookswitch_sip::ua::{Destination, Transmit, Transport};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;

use super::tls;
pub use crate::core::Inbound;

/// Accepts connections on `listener` until `closed` turns true (which frees
/// the port: an engine started again in the same process binds it anew),
/// handing each (with Nagle off: SIP messages are small and latency counts)
/// to `take`.
fn accept_until_closed(
    listener: TcpListener,
    transport: Transport,
    mut closed: tokio::sync::watch::Receiver<bool>,
    take: impl Fn(TcpStream, SocketAddr) + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = closed.wait_for(|c| *c) => return,
            };
            match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    take(stream, canonical(peer));
                }
                Err(e) => {
                    tracing::warn!(%transport, "accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    })
}

/// An IPv4 peer as itself, not as the IPv4-mapped IPv6 address a socket
/// on `[::]` reports (`::ffff:192.0.2.7`): the UA compares and answers
/// addresses, and one peer must have one.
pub fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// How long a connection with nothing received is kept.
const STREAM_IDLE: Duration = Duration::from_secs(300);
/// How long a connection a peer opened may stay without a whole message
/// (a connection left idle from the network holds a descriptor).
const FIRST_MESSAGE: Duration = Duration::from_secs(32);
/// Connections peers opened to us, open at once; past it one more is closed
/// at once and counted (2,000 idle connections took every descriptor).
pub const MAX_INBOUND: usize = 256;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// RFC 5626 4.4.1 CRLF keep-alive on connections we opened: well inside the
/// idle timeouts of NATs and of the server (kamailio: 120 s by default).
const KEEPALIVE: Duration = Duration::from_secs(30);

type ConnectionKey = (Transport, SocketAddr);
type Connections = Arc<Mutex<HashMap<ConnectionKey, mpsc::UnboundedSender<Vec<u8>>>>>;

#[derive(Clone)]
pub struct Transports {
    pub udp: Arc<UdpSocket>,
    connections: Connections,
    /// Connections peers opened that are open now, and those closed at
    /// once because [`MAX_INBOUND`] were.
    opened_to_us: Arc<std::sync::atomic::AtomicUsize>,
    pub refused_connections: Arc<std::sync::atomic::AtomicU64>,
    inbound: mpsc::Sender<Inbound>,
    tls: tokio_rustls::TlsConnector,
    /// Set when the engine stops: the listeners end.
    closed: Arc<tokio::sync::watch::Sender<bool>>,
    listeners: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

/// A UDP socket and a TCP listener on the same port (see `Transports::bind`).
async fn bind_pair(addr: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener)> {
    let mut tries = 0;
    loop {
        let udp = UdpSocket::bind(addr).await?;
        match TcpListener::bind(udp.local_addr()?).await {
            Ok(listener) => return Ok((udp, listener)),
            Err(e)
                if addr.port() == 0 && e.kind() == std::io::ErrorKind::AddrInUse && tries < 20 =>
            {
                tries += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

impl Transports {
    /// Connections peers opened to us that are open now.
    pub fn connections_to_us(&self) -> usize {
        self.opened_to_us.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Ends the listeners and waits for them (they hold the port and, through
    /// their clones of these transports, the UDP socket); connections close
    /// as their peers or the idle timeout end them.
    pub async fn close(&self) {
        self.closed.send_replace(true);
        let tasks = std::mem::take(&mut *self.listeners.lock().expect("not poisoned"));
        for t in tasks {
            let _ = t.await;
        }
    }

    /// Binds UDP and TCP on `addr` (TCP on the port UDP got, when `addr` says 0).
    /// TLS connections are opened with `tls`; with `tls_server`, TLS is also
    /// taken on the next port.
    /// UDP and TCP on one port. For port 0 the kernel picks the UDP port,
    /// which TCP may hold already (an outgoing connection's ephemeral port):
    /// then another is tried.
    pub async fn bind(
        addr: SocketAddr,
        inbound: mpsc::Sender<Inbound>,
        tls: Arc<rustls::ClientConfig>,
        tls_server: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<Transports> {
        let (udp, listener) = bind_pair(addr).await?;
        let bound = udp.local_addr()?;
        if let Err(e) = super::icmp::enable(&udp) {
            tracing::warn!("ICMP errors will not end transactions early: {e}");
        }
        let transports = Transports {
            udp: Arc::new(udp),
            connections: Arc::new(Mutex::new(HashMap::new())),
            opened_to_us: Arc::default(),
            refused_connections: Arc::default(),
            inbound,
            closed: Arc::new(tokio::sync::watch::channel(false).0),
            listeners: Arc::default(),
            tls: tokio_rustls::TlsConnector::from(tls),
        };
        if let Some(server) = tls_server {
            let tls_listener =
                TcpListener::bind(SocketAddr::new(bound.ip(), bound.port().wrapping_add(1)))
                    .await?;
            let acceptor = tokio_rustls::TlsAcceptor::from(server);
            let accepting = transports.clone();
            transports.listen(tls_listener, Transport::Tls, move |stream, peer| {
                if !accepting.room_for(peer) {
                    return;
                }
                // The handshake runs on its own: a slow peer holds up no one.
                let (acceptor, accepting) = (acceptor.clone(), accepting.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(CONNECT_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            accepting.adopt(tls, Transport::Tls, peer, None);
                        }
                        Ok(Err(e)) => tracing::info!(%peer, "TLS handshake refused: {e}"),
                        Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
                    }
                });
            });
        }
        let accepting = transports.clone();
        transports.listen(listener, Transport::Tcp, move |stream, peer| {
            if accepting.room_for(peer) {
                accepting.adopt(stream, Transport::Tcp, peer, None);
            }
        });
        Ok(transports)
    }

    /// Accepts on `listener` until `close`, which waits for it.
    fn listen(
        &self,
        listener: TcpListener,
        transport: Transport,
        take: impl Fn(TcpStream, SocketAddr) + Send + 'static,
    ) {
        let task = accept_until_closed(listener, transport, self.closed.subscribe(), take);
        self.listeners.lock().expect("not poisoned").push(task);
    }

    /// Whether one more connection from a peer may stay; counted and
    /// logged (at 1, 2, 4, ...) when not, and the stream dropped (closed).
    fn room_for(&self, peer: SocketAddr) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        if self.opened_to_us.load(Relaxed) < MAX_INBOUND {
            return true;
        }
        let n = self.refused_connections.fetch_add(1, Relaxed) + 1;
        if n.is_power_of_two() {
            tracing::warn!(%peer, "connection closed: {MAX_INBOUND} peers' connections are open ({n} closed so far)");
        }
        false
    }

    /// Where other edges (the DNS resolver) report to the core, as the
    /// transports do.
    pub fn reporter(&self) -> mpsc::Sender<Inbound> {
        self.inbound.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.udp
            .local_addr()
            .expect("a bound socket has an address")
    }

    /// Sends a message; name resolution and connects happen off the caller's path.
    pub fn send(&self, t: Transmit) {
        let this = self.clone();
        match &t.destination {
            Destination::Addr(addr) => this.send_to(t.transport, *addr, None, t),
            Destination::Host { host, port } => {
                let (host, port) = (host.clone(), *port);
                tokio::spawn(async move {
                    let name = host.trim_start_matches('[').trim_end_matches(']');
                    match tokio::net::lookup_host((name, port))
                        .await
                        .map(|mut a| a.next())
                    {
                        Ok(Some(addr)) => this.send_to(t.transport, addr, Some(host), t),
                        Ok(None) => {
                            let error = format!("{host} has no address");
                            this.undeliverable(t, error).await
                        }
                        Err(e) => {
                            let error = format!("cannot resolve {host}: {e}");
                            this.undeliverable(t, error).await
                        }
                    }
                });
            }
        }
    }

    async fn undeliverable(&self, t: Transmit, error: String) {
        tracing::warn!(destination = %t.destination, "{error}");
        let _ = self
            .inbound
            .send(Inbound::Undeliverable {
                transport: t.transport,
                destination: t.destination,
                error,
            })
            .await;
    }

    /// `host`: the name `addr` was resolved from, which a TLS server's
    /// certificate must carry.
    fn send_to(&self, transport: Transport, addr: SocketAddr, host: Option<String>, t: Transmit) {
        if transport == Transport::Udp {
            if let Err(e) = self.udp.try_send_to(&t.payload, addr) {
                // A full send buffer behaves like a lost datagram: SIP retransmits.
                tracing::debug!(%addr, "UDP send failed: {e}");
            }
            return;
        }
        let existing = self
            .connections
            .lock()
            .expect("not poisoned")
            .get(&(transport, addr))
            .cloned();
        let t = match existing {
            Some(tx) => match tx.send(t.payload) {
                Ok(()) => return,
                Err(mpsc::error::SendError(payload)) => Transmit { payload, ..t },
            },
            None => t,
        };
        let this = self.clone();
        tokio::spawn(async move {
            match this.connect(transport, addr, host.as_deref()).await {
                Ok(tx) => {
                    let _ = tx.send(t.payload);
                }
                Err(error) => this.undeliverable(t, error).await,
            }
        });
    }

    /// Opens a TCP or TLS connection to `addr` and adopts it.
    async fn connect(
        &self,
        transport: Transport,
        addr: SocketAddr,
        host: Option<&str>,
    ) -> Result<mpsc::UnboundedSender<Vec<u8>>, String> {
        let peer = host.map_or_else(|| addr.to_string(), |h| format!("{h} ({addr})"));
        let stream = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(format!("cannot connect to {peer} over {transport}: {e}")),
            Err(_) => return Err(format!("connecting to {peer} over {transport} timed out")),
        };
        let _ = stream.set_nodelay(true);
        let opened = Some(host.map(str::to_string));
        if transport != Transport::Tls {
            return Ok(self.adopt(stream, transport, addr, opened));
        }
        let name = tls::server_name(host, addr);
        match tokio::time::timeout(CONNECT_TIMEOUT, self.tls.connect(name, stream)).await {
            Ok(Ok(stream)) => Ok(self.adopt(stream, transport, addr, opened)),
            Ok(Err(e)) => Err(tls::explain(&peer, &e)),
            Err(_) => Err(format!("TLS handshake with {peer} timed out")),
        }
    }

    /// Takes over a connected stream: a writer fed by a channel (which also sends
    /// keep-alives on connections we opened), and a reader that frames messages
    /// for the driver. `opened`: `Some(name it was reached by)` for connections
    /// we opened (their closing is reported). Returns the writer's channel.
    fn adopt<S>(
        &self,
        stream: S,
        transport: Transport,
        peer: SocketAddr,
        opened: Option<Option<String>>,
    ) -> mpsc::UnboundedSender<Vec<u8>>
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let opened_by_us = opened.is_some();
        // Counted while it lives (the reader task holds the count).
        let counted = (!opened_by_us).then(|| OpenToUs::new(&self.opened_to_us));
        let (mut reader, mut writer) = tokio::io::split(stream);
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
        let key = (transport, peer);
        self.connections
            .lock()
            .expect("not poisoned")
            .insert(key, tx.clone());
        tokio::spawn(async move {
            let mut keepalive = tokio::time::interval(KEEPALIVE);
            keepalive.tick().await;
            loop {
                let bytes = tokio::select! {
                    b = rx.recv() => match b {
                        Some(b) => b,
                        None => break,
                    },
                    _ = keepalive.tick(), if opened_by_us => b"\r\n\r\n".to_vec(),
                };
                if writer.write_all(&bytes).await.is_err() || writer.flush().await.is_err() {
                    break;
                }
            }
            let _ = writer.shutdown().await;
        });
        let connections = self.connections.clone();
        let inbound = self.inbound.clone();
        let pong = tx.clone();
        tokio::spawn(async move {
            let _counted = counted;
            let mut buf: Vec<u8> = Vec::with_capacity(8192);
            let mut chunk = vec![0u8; 8192];
            // A peer's connection gets FIRST_MESSAGE for its first message.
            let mut idle = if opened_by_us {
                STREAM_IDLE
            } else {
                FIRST_MESSAGE
            };
            'read: loop {
                let n = match tokio::time::timeout(idle, reader.read(&mut chunk)).await {
                    Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
                    Ok(Ok(n)) => n,
                };
                buf.extend_from_slice(&chunk[..n]);
                loop {
                    // RFC 5626 keep-alive: a CRLFCRLF ping gets a CRLF pong.
                    if buf.starts_with(b"\r\n\r\n") {
                        let _ = pong.send(b"\r\n".to_vec());
                        buf.drain(..4);
                        continue;
                    }
                    match parse_stream(&buf) {
                        Ok(Some((message, used))) => {
                            buf.drain(..used);
                            idle = STREAM_IDLE;
                            let m = Inbound::Message {
                                transport,
                                source: peer,
                                message,
                            };
                            if inbound.send(m).await.is_err() {
                                break 'read;
                            }
                        }
                        Ok(None) => {
                            // The server's CRLF pong to our ping: nothing to keep.
                            if opened_by_us && buf == b"\r\n" {
                                buf.clear();
                            }
                            break;
                        }
                        Err(error) => {
                            // Framing is lost: answer if possible, then close.
                            let m = Inbound::Malformed {
                                transport,
                                source: peer,
                                bytes: std::mem::take(&mut buf),
                                error,
                            };
                            let _ = inbound.send(m).await;
                            break 'read;
                        }
                    }
                }
            }
            tracing::debug!(%peer, %transport, "connection closed");
            {
                let mut connections = connections.lock().expect("not poisoned");
                // A newer connection to the same peer may have taken the slot.
                if connections.get(&key).is_some_and(|c| c.same_channel(&pong)) {
                    connections.remove(&key);
                }
            }
            if let Some(name) = opened {
                let mut destinations = vec![Destination::Addr(peer)];
                destinations.extend(name.map(|host| Destination::Host {
                    host,
                    port: peer.port(),
                }));
                let _ = inbound
                    .send(Inbound::Closed {
                        transport,
                        destinations,
                    })
                    .await;
            }
        });
        tx
    }
}

/// One connection a peer opened, counted while it is open.
struct OpenToUs(Arc<std::sync::atomic::AtomicUsize>);

impl OpenToUs {
    fn new(count: &Arc<std::sync::atomic::AtomicUsize>) -> OpenToUs {
        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        OpenToUs(count.clone())
    }
}

impl Drop for OpenToUs {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}
