//! HTTP digest authentication for SIP (RFC 3261 22, RFC 2617, RFC 8760:
//! MD5, SHA-256 and SHA-512/256, each also as `-sess`). A server may offer
//! several challenges, most preferred first: we answer the first we can.

use std::fmt;

use md5::Md5;
use rand::RngExt;
use sha2::{Digest as _, Sha256, Sha512_256};

use crate::message::lex::{quote, quoted_string, split_list, trim_ws};

/// Why a challenge cannot be answered. The messages say what the server
/// asked for, for the user to pass on to whoever runs it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the server asks for {0} authentication, not Digest")]
    NotDigest(String),
    #[error("the server's challenge has no {0} (a fault of the server)")]
    Missing(&'static str),
    #[error(
        "the server asks for the digest algorithm {0}, which Hookswitch does not support (MD5, SHA-256, SHA-512-256 and their -sess forms)"
    )]
    Algorithm(String),
    #[error("the server requires qop={0}, which Hookswitch does not support (only qop=auth)")]
    Qop(String),
    #[error("the server's challenge is malformed")]
    Malformed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
    /// SHA-512/256 (FIPS 180-4), named `SHA-512-256` in RFC 8760.
    Sha512_256,
}

impl Algorithm {
    fn name(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
            Algorithm::Sha512_256 => "SHA-512-256",
        }
    }

    fn hash(self, data: &str) -> String {
        let bytes: Vec<u8> = match self {
            Algorithm::Md5 => Md5::digest(data.as_bytes()).to_vec(),
            Algorithm::Sha256 => Sha256::digest(data.as_bytes()).to_vec(),
            Algorithm::Sha512_256 => Sha512_256::digest(data.as_bytes()).to_vec(),
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// `SHA-256-sess` -> (Sha256, true).
    fn parse(name: &str) -> Option<(Algorithm, bool)> {
        let upper = name.to_ascii_uppercase();
        let (base, sess) = match upper.strip_suffix("-SESS") {
            Some(base) => (base, true),
            None => (upper.as_str(), false),
        };
        let alg = match base {
            "MD5" => Algorithm::Md5,
            "SHA-256" => Algorithm::Sha256,
            "SHA-512-256" => Algorithm::Sha512_256,
            _ => return None,
        };
        Some((alg, sess))
    }
}

/// A parsed `WWW-Authenticate` / `Proxy-Authenticate` Digest challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Algorithm,
    /// The `-sess` form: HA1 also covers the nonce and client nonce.
    pub session: bool,
    /// `qop="auth"` offered (we never do auth-int: bodies change in transit).
    pub qop_auth: bool,
    /// The server says our credentials were fine but the nonce was old.
    pub stale: bool,
}

impl Challenge {
    /// The challenge to answer among a response's WWW-Authenticate (or
    /// Proxy-Authenticate) values: the first we can (RFC 8760 2.4: the
    /// server lists them most preferred first). If none can be answered,
    /// why the first cannot. `None` when there is no challenge at all.
    pub fn pick<'a>(
        values: impl IntoIterator<Item = &'a str>,
    ) -> Option<Result<Challenge, AuthError>> {
        let mut first_error = None;
        for value in values {
            match Challenge::parse(value) {
                Ok(c) => return Some(Ok(c)),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map(Err)
    }

    pub fn parse(value: &str) -> Result<Challenge, AuthError> {
        let value = trim_ws(value);
        let (scheme, rest) = value.split_once([' ', '\t']).unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("Digest") {
            return Err(AuthError::NotDigest(scheme.to_string()));
        }
        let mut realm = None;
        let mut nonce = None;
        let mut opaque = None;
        let mut algorithm = (Algorithm::Md5, false);
        let mut qop = None;
        let mut stale = false;
        for param in split_list(rest) {
            if param.is_empty() {
                continue;
            }
            let (name, raw) = param.split_once('=').ok_or(AuthError::Malformed)?;
            let raw = trim_ws(raw);
            let val = if raw.starts_with('"') {
                quoted_string(raw).map_err(|_| AuthError::Malformed)?.0
            } else {
                raw.to_string()
            };
            match trim_ws(name).to_ascii_lowercase().as_str() {
                "realm" => realm = Some(val),
                "nonce" => nonce = Some(val),
                "opaque" => opaque = Some(val),
                "stale" => stale = val.eq_ignore_ascii_case("true"),
                "qop" => qop = Some(val),
                "algorithm" => {
                    algorithm = Algorithm::parse(&val).ok_or(AuthError::Algorithm(val))?;
                }
                _ => {}
            }
        }
        let qop_auth = match qop {
            None => false,
            Some(q) => {
                if q.split(',')
                    .any(|o| trim_ws(o).eq_ignore_ascii_case("auth"))
                {
                    true
                } else {
                    return Err(AuthError::Qop(q));
                }
            }
        };
        let nonce = nonce
            .filter(|n| !n.is_empty())
            .ok_or(AuthError::Missing("nonce"))?;
        Ok(Challenge {
            realm: realm.ok_or(AuthError::Missing("realm"))?,
            nonce,
            opaque,
            algorithm: algorithm.0,
            session: algorithm.1,
            qop_auth,
            stale,
        })
    }
}

/// A user name and password. The password never appears in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Answers challenges, keeping the nonce count per nonce.
#[derive(Debug, Clone)]
pub struct DigestClient {
    challenge: Challenge,
    nonce_count: u32,
}

impl DigestClient {
    pub fn new(challenge: Challenge) -> Self {
        DigestClient {
            challenge,
            nonce_count: 0,
        }
    }

    pub fn challenge(&self) -> &Challenge {
        &self.challenge
    }

    /// The `Authorization` value for a request, with a fresh client nonce
    /// drawn from `rng` (the user agent's, so a seeded run repeats itself).
    pub fn authorize(
        &mut self,
        creds: &Credentials,
        method: &str,
        uri: &str,
        rng: &mut impl rand::Rng,
    ) -> String {
        let cnonce = format!("{:016x}", rng.random::<u64>());
        self.authorize_with_cnonce(creds, method, uri, &cnonce)
    }

    /// As `authorize`, with the client nonce given (for test vectors).
    pub fn authorize_with_cnonce(
        &mut self,
        creds: &Credentials,
        method: &str,
        uri: &str,
        cnonce: &str,
    ) -> String {
        let c = &self.challenge;
        let alg = c.algorithm;
        let mut ha1 = alg.hash(&format!(
            "{}:{}:{}",
            creds.username, c.realm, creds.password
        ));
        if c.session {
            // RFC 7616 3.4.2: HA1 = H(H(user:realm:password):nonce:cnonce).
            ha1 = alg.hash(&format!("{ha1}:{}:{cnonce}", c.nonce));
        }
        let ha2 = alg.hash(&format!("{method}:{uri}"));
        let mut out = format!(
            "Digest username={}, realm={}, nonce={}, uri={}",
            quote(&creds.username),
            quote(&c.realm),
            quote(&c.nonce),
            quote(uri)
        );
        let response = if c.qop_auth {
            self.nonce_count += 1;
            let nc = format!("{:08x}", self.nonce_count);
            let r = alg.hash(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", c.nonce));
            out.push_str(&format!(", qop=auth, nc={nc}, cnonce={}", quote(cnonce)));
            r
        } else {
            if c.session {
                // The server needs our cnonce to compute a -sess HA1.
                out.push_str(&format!(", cnonce={}", quote(cnonce)));
            }
            alg.hash(&format!("{ha1}:{}:{ha2}", c.nonce))
        };
        out.push_str(&format!(
            ", response=\"{response}\", algorithm={}{}",
            alg.name(),
            if c.session { "-sess" } else { "" }
        ));
        if let Some(opaque) = &c.opaque {
            out.push_str(&format!(", opaque={}", quote(opaque)));
        }
        out
    }
}

/// Replaces the credentials in an Authorization value for logs: everything after
/// the user name is cut.
pub fn redact_authorization(value: &str) -> String {
    match value.find("response=") {
        Some(i) => format!("{}response=<redacted>", &value[..i]),
        None => "<redacted>".to_string(),
    }
}

/// A message as text for logs, with Authorization and Proxy-Authorization values
/// cut down to the user name (`redact_authorization`). Other lines are unchanged.
pub fn redacted_trace(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let lower = line.trim_start().to_ascii_lowercase();
        match line.split_once(':') {
            Some((name, value))
                if lower.starts_with("authorization:")
                    || lower.starts_with("proxy-authorization:") =>
            {
                out.push_str(name);
                out.push_str(": ");
                out.push_str(&redact_authorization(value.trim()));
                out.push_str("\r\n");
            }
            _ => out.push_str(line),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<'a>(auth: &'a str, name: &str) -> &'a str {
        let start = auth.find(&format!("{name}=")).unwrap() + name.len() + 1;
        let rest = &auth[start..];
        let rest = rest.trim_start_matches('"');
        &rest[..rest.find(['"', ',']).unwrap_or(rest.len())]
    }

    /// RFC 2617 section 3.5: the "Mufasa" example (MD5, qop=auth).
    #[test]
    fn rfc2617_vector() {
        let ch = Challenge::parse(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .unwrap();
        let creds = Credentials {
            username: "Mufasa".into(),
            password: "Circle Of Life".into(),
        };
        let auth = DigestClient::new(ch).authorize_with_cnonce(
            &creds,
            "GET",
            "/dir/index.html",
            "0a4f113b",
        );
        assert_eq!(field(&auth, "response"), "6629fae49393a05397450978507c4ef1");
        assert_eq!(field(&auth, "nc"), "00000001");
        assert_eq!(field(&auth, "opaque"), "5ccc069c403ebaf9f0171e9517f40e41");
    }

    /// RFC 7616 section 3.9.1 (the SHA-256 digest RFC 8760 brings to SIP), both algorithms.
    #[test]
    fn rfc7616_vectors() {
        let creds = Credentials {
            username: "Mufasa".into(),
            password: "Circle of Life".into(),
        };
        // MD5 and SHA-256 are the RFC's; SHA-512-256 and the -sess forms
        // were computed with Python's hashlib from RFC 7616 3.4's formulas.
        for (alg, expected) in [
            ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
            (
                "SHA-256",
                "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
            ),
            (
                "SHA-512-256",
                "430d05014cecc49cab6fbe03176d41a1da86cbfe24a16580e22aaad928d960d0",
            ),
            (
                "SHA-256-sess",
                "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7",
            ),
            ("MD5-sess", "e783283f46242139c486a698fec7211d"),
        ] {
            let ch = Challenge::parse(&format!(
                r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={alg}, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
            ))
            .unwrap();
            let auth = DigestClient::new(ch).authorize_with_cnonce(
                &creds,
                "GET",
                "/dir/index.html",
                "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
            );
            assert_eq!(field(&auth, "response"), expected, "{alg}");
            assert!(auth.contains(&format!("algorithm={alg}")));
        }
    }

    /// RFC 8760 2.4: several challenges, most preferred first; we answer
    /// the first we can, and say why when we can answer none.
    #[test]
    fn the_first_challenge_we_can_answer_is_picked() {
        let picked = Challenge::pick([
            r#"Digest realm="r", nonce="1", algorithm=SHA3-512"#,
            r#"Digest realm="r", nonce="2", algorithm=SHA-512-256, qop="auth""#,
            r#"Digest realm="r", nonce="3", algorithm=MD5, qop="auth""#,
        ]);
        let c = picked.unwrap().unwrap();
        assert_eq!(
            (c.algorithm, c.nonce.as_str()),
            (Algorithm::Sha512_256, "2")
        );
        assert_eq!(
            Challenge::pick([r#"Digest realm="r", qop="auth""#, "Basic realm=\"r\""]),
            Some(Err(AuthError::Missing("nonce")))
        );
        assert_eq!(Challenge::pick([]), None);
    }

    #[test]
    fn nonce_count_increments_and_stale_is_seen() {
        let ch =
            Challenge::parse(r#"Digest realm="r", nonce="n", qop="auth", stale=TRUE"#).unwrap();
        assert!(ch.stale);
        let mut client = DigestClient::new(ch);
        let creds = Credentials {
            username: "u".into(),
            password: "p".into(),
        };
        let rng = &mut rand::rng();
        client.authorize(&creds, "REGISTER", "sip:example.com", rng);
        let second = client.authorize(&creds, "REGISTER", "sip:example.com", rng);
        assert_eq!(field(&second, "nc"), "00000002");
    }

    #[test]
    fn without_qop_uses_rfc2069_form() {
        let ch = Challenge::parse(r#"Digest realm="biloxi.com", nonce="abc""#).unwrap();
        let creds = Credentials {
            username: "bob".into(),
            password: "zanzibar".into(),
        };
        let auth =
            DigestClient::new(ch).authorize(&creds, "REGISTER", "sip:biloxi.com", &mut rand::rng());
        assert!(!auth.contains("qop"));
        let ha1 = Algorithm::Md5.hash("bob:biloxi.com:zanzibar");
        let ha2 = Algorithm::Md5.hash("REGISTER:sip:biloxi.com");
        assert_eq!(
            field(&auth, "response"),
            Algorithm::Md5.hash(&format!("{ha1}:abc:{ha2}"))
        );
    }

    #[test]
    fn rejects_what_it_cannot_answer() {
        assert_eq!(
            Challenge::parse("Basic realm=\"x\""),
            Err(AuthError::NotDigest("Basic".into()))
        );
        assert!(matches!(
            Challenge::parse(r#"Digest realm="r", nonce="n", algorithm=SHA3-256"#),
            Err(AuthError::Algorithm(_))
        ));
        assert_eq!(
            Challenge::parse(r#"Digest realm="r", nonce="""#),
            Err(AuthError::Missing("nonce"))
        );
        assert!(matches!(
            Challenge::parse(r#"Digest realm="r", nonce="n", qop="auth-int""#),
            Err(AuthError::Qop(_))
        ));
        assert_eq!(
            Challenge::parse(r#"Digest realm="r""#),
            Err(AuthError::Missing("nonce"))
        );
    }

    #[test]
    fn secrets_are_not_printed() {
        let creds = Credentials {
            username: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{creds:?}").contains("hunter2"));
        let v = r#"Digest username="u", realm="r", nonce="n", uri="sip:x", response="abcdef""#;
        assert!(!redact_authorization(v).contains("abcdef"));
        let msg = format!(
            "REGISTER sip:x SIP/2.0\r\nAuthorization: {v}\r\nproxy-authorization: {v}\r\nTo: <sip:u@x>\r\n\r\n"
        );
        let trace = redacted_trace(msg.as_bytes());
        assert!(!trace.contains("abcdef"), "{trace}");
        assert!(
            trace.contains("To: <sip:u@x>") && trace.contains("username=\"u\""),
            "{trace}"
        );
    }
}
