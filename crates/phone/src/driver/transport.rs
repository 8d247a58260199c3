//! SIP transports at the edge: one UDP socket, and TCP with Content-Length
//! framing and connection reuse (one connection per peer address, either side
//! may open it). TLS arrives with the call-features issue.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hookswitch_sip::message::{Message, ParseError, parse_stream};
use hookswitch_sip::ua::{Destination, Transmit, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;

/// Something a stream transport delivered to the driver.
#[derive(Debug)]
pub enum Inbound {
    Message {
        transport: Transport,
        source: SocketAddr,
        message: Message,
    },
    /// Bytes that could not be framed or parsed; the connection is closed after.
    Malformed {
        transport: Transport,
        source: SocketAddr,
        bytes: Vec<u8>,
        error: ParseError,
    },
}

/// How long an idle TCP connection we opened is kept.
const TCP_IDLE: Duration = Duration::from_secs(300);
const TCP_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

type Connections = Arc<Mutex<HashMap<SocketAddr, mpsc::UnboundedSender<Vec<u8>>>>>;

#[derive(Clone)]
pub struct Transports {
    pub udp: Arc<UdpSocket>,
    connections: Connections,
    inbound: mpsc::Sender<Inbound>,
}

impl Transports {
    /// Binds UDP and TCP on `addr` (TCP on the port UDP got, when `addr` says 0).
    pub async fn bind(
        addr: SocketAddr,
        inbound: mpsc::Sender<Inbound>,
    ) -> std::io::Result<Transports> {
        let udp = UdpSocket::bind(addr).await?;
        let bound = udp.local_addr()?;
        let listener = TcpListener::bind(bound).await?;
        let transports = Transports {
            udp: Arc::new(udp),
            connections: Arc::new(Mutex::new(HashMap::new())),
            inbound,
        };
        let accepting = transports.clone();
        tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, peer)) => {
                        accepting.adopt(stream, peer);
                    }
                    Err(e) => {
                        tracing::warn!("TCP accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        });
        Ok(transports)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.udp
            .local_addr()
            .expect("a bound socket has an address")
    }

    /// Sends a message; name resolution and TCP connects happen off the caller's path.
    pub fn send(&self, t: Transmit) {
        let this = self.clone();
        match t.destination {
            Destination::Addr(addr) => this.send_to(t.transport, addr, t.payload),
            Destination::Host { host, port } => {
                tokio::spawn(async move {
                    match tokio::net::lookup_host((host.as_str(), port))
                        .await
                        .map(|mut a| a.next())
                    {
                        Ok(Some(addr)) => this.send_to(t.transport, addr, t.payload),
                        Ok(None) | Err(_) => {
                            tracing::warn!(%host, "cannot resolve; message dropped")
                        }
                    }
                });
            }
        }
    }

    fn send_to(&self, transport: Transport, addr: SocketAddr, payload: Vec<u8>) {
        match transport {
            Transport::Udp => {
                if let Err(e) = self.udp.try_send_to(&payload, addr) {
                    // A full send buffer behaves like a lost datagram: SIP retransmits.
                    tracing::debug!(%addr, "UDP send failed: {e}");
                }
            }
            Transport::Tcp => self.send_tcp(addr, payload),
            Transport::Tls => tracing::warn!(%addr, "TLS is not supported yet; message dropped"),
        }
    }

    fn send_tcp(&self, addr: SocketAddr, payload: Vec<u8>) {
        let existing = self
            .connections
            .lock()
            .expect("not poisoned")
            .get(&addr)
            .cloned();
        let payload = match existing {
            Some(tx) => match tx.send(payload) {
                Ok(()) => return,
                Err(mpsc::error::SendError(p)) => p,
            },
            None => payload,
        };
        let this = self.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(TCP_CONNECT_TIMEOUT, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => {
                    let tx = this.adopt(stream, addr);
                    let _ = tx.send(payload);
                }
                Ok(Err(e)) => tracing::warn!(%addr, "TCP connect failed: {e}"),
                Err(_) => tracing::warn!(%addr, "TCP connect timed out"),
            }
        });
    }

    /// Takes over a connected stream: a writer fed by a channel, and a reader that
    /// frames messages for the driver. Returns the writer's channel.
    fn adopt(&self, stream: TcpStream, peer: SocketAddr) -> mpsc::UnboundedSender<Vec<u8>> {
        let _ = stream.set_nodelay(true);
        let (mut reader, mut writer) = stream.into_split();
        let (tx, mut rx) = mpsc::unbounded_channel::<Vec<u8>>();
        self.connections
            .lock()
            .expect("not poisoned")
            .insert(peer, tx.clone());
        tokio::spawn(async move {
            while let Some(bytes) = rx.recv().await {
                if writer.write_all(&bytes).await.is_err() {
                    break;
                }
            }
        });
        let connections = self.connections.clone();
        let inbound = self.inbound.clone();
        let pong = tx.clone();
        tokio::spawn(async move {
            let mut buf: Vec<u8> = Vec::with_capacity(8192);
            let mut chunk = vec![0u8; 8192];
            'read: loop {
                let n = match tokio::time::timeout(TCP_IDLE, reader.read(&mut chunk)).await {
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
                            let m = Inbound::Message {
                                transport: Transport::Tcp,
                                source: peer,
                                message,
                            };
                            if inbound.send(m).await.is_err() {
                                break 'read;
                            }
                        }
                        Ok(None) => break,
                        Err(error) => {
                            // Framing is lost: answer if possible, then close.
                            let m = Inbound::Malformed {
                                transport: Transport::Tcp,
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
            connections.lock().expect("not poisoned").remove(&peer);
        });
        tx
    }
}
