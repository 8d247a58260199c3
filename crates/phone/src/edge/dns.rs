//! Asking name servers what the UA's RFC 3263 locator needs: UDP queries
//! with EDNS(0), again over TCP when an answer is truncated, each server in
//! turn (`sip.dns_servers`, else the `nameserver` lines of
//! /etc/resolv.conf), a query tried twice per server before the next.

use std::net::SocketAddr;
use std::time::Duration;

use hookswitch_sip::dns::message::{self, RecordType};
use hookswitch_sip::dns::{Answer, Candidate, Locator, Request};
use hookswitch_sip::ua::Transport;
use rand::RngExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

/// How long one try of one query waits for its answer.
const TRY: Duration = Duration::from_millis(1500);
const TRIES_PER_SERVER: usize = 2;

#[derive(Debug, Clone)]
pub struct Resolver {
    servers: Vec<SocketAddr>,
    /// Whether AAAA records are worth asking for (we can send over IPv6).
    ipv6: bool,
}

impl Resolver {
    /// `servers`: from the configuration; empty means the system's.
    pub fn new(servers: &[SocketAddr], ipv6: bool) -> Resolver {
        let servers = if servers.is_empty() {
            system_servers()
        } else {
            servers.to_vec()
        };
        Resolver { servers, ipv6 }
    }

    /// RFC 3263 for `request`: the places to try, in order, and how long
    /// that holds (seconds); or why there are none to be had.
    pub async fn locate(&self, request: Request) -> Result<(Vec<Candidate>, u32), String> {
        let mut locator = Locator::new(
            request,
            &[Transport::Udp, Transport::Tcp, Transport::Tls],
            self.ipv6,
        );
        while let Some((name, rtype)) = locator.poll_query() {
            let answer = self.query(&name, rtype).await;
            tracing::debug!(name, ?rtype, ?answer, "DNS");
            locator.handle(&name, rtype, answer);
        }
        let candidates = locator.candidates(&mut rand::rng());
        match (candidates.is_empty(), locator.failure()) {
            (true, Some(why)) => Err(why.to_string()),
            _ => Ok((candidates, locator.ttl())),
        }
    }

    async fn query(&self, name: &str, rtype: RecordType) -> Answer {
        if self.servers.is_empty() {
            return Answer::Failed("no DNS server is configured".into());
        }
        let mut last = String::new();
        for server in &self.servers {
            for _ in 0..TRIES_PER_SERVER {
                match ask(*server, name, rtype).await {
                    Ok(answer) => return answer,
                    Err(e) => last = format!("{server}: {e}"),
                }
            }
        }
        Answer::Failed(format!("no answer from the DNS servers ({last})"))
    }
}

/// One query to one server: UDP, and TCP when the answer was cut short.
async fn ask(server: SocketAddr, name: &str, rtype: RecordType) -> Result<Answer, String> {
    let id: u16 = rand::rng().random();
    let q = message::query(id, name, rtype).map_err(|e| e.to_string())?;
    let any: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().expect("an address")
    } else {
        "[::]:0".parse().expect("an address")
    };
    let socket = UdpSocket::bind(any).await.map_err(|e| e.to_string())?;
    socket.connect(server).await.map_err(|e| e.to_string())?;
    socket.send(&q).await.map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 4096];
    let response = tokio::time::timeout(TRY, async {
        loop {
            let n = socket.recv(&mut buf).await.map_err(|e| e.to_string())?;
            // Only the answer to this query (id) counts.
            if let Ok(r) = message::parse(&buf[..n])
                && r.id == id
            {
                return Ok::<_, String>(r);
            }
        }
    })
    .await
    .map_err(|_| "no answer".to_string())??;
    let response = if response.truncated {
        ask_tcp(server, id, &q).await?
    } else {
        response
    };
    Ok(match response.rcode {
        0 if response.records.is_empty() => Answer::Nothing,
        0 => Answer::Records(response.records),
        3 => Answer::Nothing,
        code => return Err(format!("DNS error code {code}")),
    })
}

/// RFC 1035 4.2.2: the same query over TCP, with a two-byte length.
async fn ask_tcp(server: SocketAddr, id: u16, q: &[u8]) -> Result<message::Response, String> {
    let exchange = async {
        let mut s = TcpStream::connect(server)
            .await
            .map_err(|e| e.to_string())?;
        let len = u16::try_from(q.len()).map_err(|e| e.to_string())?;
        s.write_all(&len.to_be_bytes())
            .await
            .map_err(|e| e.to_string())?;
        s.write_all(q).await.map_err(|e| e.to_string())?;
        let mut len = [0u8; 2];
        s.read_exact(&mut len).await.map_err(|e| e.to_string())?;
        let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
        s.read_exact(&mut buf).await.map_err(|e| e.to_string())?;
        let r = message::parse(&buf).map_err(|e| e.to_string())?;
        if r.id != id {
            return Err("an answer to another query".to_string());
        }
        Ok(r)
    };
    tokio::time::timeout(TRY, exchange)
        .await
        .map_err(|_| "no answer over TCP".to_string())?
}

/// The `nameserver` lines of /etc/resolv.conf (port 53).
fn system_servers() -> Vec<SocketAddr> {
    std::fs::read_to_string("/etc/resolv.conf")
        .map(|text| parse_resolv_conf(&text))
        .unwrap_or_default()
}

fn parse_resolv_conf(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next()? == "nameserver").then_some(())?;
            let ip: std::net::IpAddr = words.next()?.split('%').next()?.parse().ok()?;
            Some(SocketAddr::new(ip, 53))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf_nameservers() {
        let text = "# comment\nsearch example.com\nnameserver 192.0.2.53\nnameserver fe80::1%eth0\nnameserver bogus\n";
        assert_eq!(
            parse_resolv_conf(text),
            [
                "192.0.2.53:53".parse::<SocketAddr>().unwrap(),
                "[fe80::1]:53".parse().unwrap()
            ]
        );
    }
}
