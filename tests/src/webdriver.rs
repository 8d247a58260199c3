//! A small W3C WebDriver client over plain HTTP/1.1 (std only): enough to
//! drive the desktop app through tauri-driver and WebKitWebDriver: find by
//! CSS selector, click, type, read text and attributes, run a script, take a
//! screenshot. Every wait is for a condition, with a deadline.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The W3C element reference key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct WebDriver {
    port: u16,
    session: String,
}

#[derive(Debug)]
pub struct WebDriverError(pub String);

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One request; the answer's `value`, or the driver's error. An empty answer
/// is tried again (twice): tauri-driver's HTTP client sometimes sends on a
/// pooled connection that WebKitWebDriver has closed, fails to send
/// ("client error (SendRequest)" in its log) and drops our connection
/// unanswered; the request never reached the browser, so sending it again
/// is safe.
fn request(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, WebDriverError> {
    let mut tries = 0;
    loop {
        match request_once(port, method, path, body) {
            Err(Failure::Unanswered(_)) if tries < 2 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(Failure::Unanswered(e) | Failure::Answered(e)) => return Err(e),
            Ok(v) => return Ok(v),
        }
    }
}

enum Failure {
    /// The connection closed with no answer at all.
    Unanswered(WebDriverError),
    Answered(WebDriverError),
}

fn request_once(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, Failure> {
    let err = |m: String| Failure::Answered(WebDriverError(format!("{method} {path}: {m}")));
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| err(e.to_string()))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| err(e.to_string()))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .map_err(|e| err(e.to_string()))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| err(e.to_string()))?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| {
            Failure::Unanswered(WebDriverError(format!("{method} {path}: no HTTP answer")))
        })?;
    let headers = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut payload = raw[split + 4..].to_vec();
    if headers.contains("transfer-encoding: chunked") {
        payload = dechunk(&payload);
    }
    let value: Value = serde_json::from_slice(&payload)
        .map_err(|e| err(format!("{e}: {}", String::from_utf8_lossy(&payload))))?;
    let value = value.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        return Err(err(format!("{error}: {message}")));
    }
    Ok(value)
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = body.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&body[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 || body.len() < eol + 2 + size {
            return out;
        }
        out.extend_from_slice(&body[eol + 2..eol + 2 + size]);
        body = &body[(eol + 4 + size).min(body.len())..];
    }
}

pub struct Element<'a> {
    driver: &'a WebDriver,
    id: String,
}

impl WebDriver {
    /// Opens a session on the driver at `port` with these capabilities.
    pub fn connect(port: u16, capabilities: Value) -> Result<WebDriver, WebDriverError> {
        let value = request(
            port,
            "POST",
            "/session",
            Some(&json!({ "capabilities": { "alwaysMatch": capabilities } })),
        )?;
        let session = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| WebDriverError(format!("no session id in {value}")))?
            .to_string();
        Ok(WebDriver { port, session })
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, WebDriverError> {
        request(
            self.port,
            method,
            &format!("/session/{}{path}", self.session),
            body,
        )
    }

    pub fn find(&self, css: &str) -> Result<Element<'_>, WebDriverError> {
        let value = self.call(
            "POST",
            "/element",
            Some(&json!({ "using": "css selector", "value": css })),
        )?;
        let id = value
            .get(ELEMENT)
            .and_then(Value::as_str)
            .ok_or_else(|| WebDriverError(format!("{css}: no element in {value}")))?;
        Ok(Element {
            driver: self,
            id: id.to_string(),
        })
    }

    /// Asks `probe` every 50 ms until it gives a value; past `timeout`
    /// fails with `what` (given the last probe's answer) and the page text.
    fn poll<T, L: std::fmt::Debug>(
        &self,
        timeout: Duration,
        mut probe: impl FnMut() -> Result<T, L>,
        what: impl Fn(&L) -> String,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            match probe() {
                Ok(v) => return v,
                Err(last) if Instant::now() > deadline => {
                    panic!("{}; page text:\n{}", what(&last), self.page_text())
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// `[data-testid="..."]`, waiting for it to appear.
    pub fn wait_for(&self, test_id: &str, timeout: Duration) -> Element<'_> {
        self.wait_for_css(&by_test_id(test_id), timeout)
    }

    /// The first element `css` selects, waiting for it to appear.
    pub fn wait_for_css(&self, css: &str, timeout: Duration) -> Element<'_> {
        self.poll(
            timeout,
            || self.find(css),
            |e| format!("{css} never appeared: {e}"),
        )
    }

    /// Replaces the text of the input `test_id` with `text`, typed.
    pub fn type_into(&self, test_id: &str, text: &str, timeout: Duration) {
        let input = self.wait_for(test_id, timeout);
        input.clear().expect("clear");
        input.send_keys(text).expect("type");
    }

    /// Waits until `test_id`'s text satisfies `want`; returns the text.
    pub fn wait_text(
        &self,
        test_id: &str,
        timeout: Duration,
        want: impl Fn(&str) -> bool,
    ) -> String {
        let css = by_test_id(test_id);
        self.poll(
            timeout,
            || {
                let text = self.find(&css).and_then(|e| e.text()).unwrap_or_default();
                if want(&text) { Ok(text) } else { Err(text) }
            },
            |last| format!("{test_id} never showed what was expected (last: {last:?})"),
        )
    }

    /// As `wait_text`, on the element's textContent: WebKitWebDriver's
    /// visible text leaves out what sits in an `overflow: hidden` box (a
    /// name cut with an ellipsis).
    pub fn wait_content(
        &self,
        test_id: &str,
        timeout: Duration,
        want: impl Fn(&str) -> bool,
    ) -> String {
        let script = format!(
            "const e = document.querySelector('{}'); return e ? e.textContent : null",
            by_test_id(test_id).replace('\'', "\\'")
        );
        self.poll(
            timeout,
            || {
                let text = self
                    .execute(&script)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                if want(&text) { Ok(text) } else { Err(text) }
            },
            |last| format!("{test_id} never held what was expected (last: {last:?})"),
        )
    }

    /// Waits until `test_id`'s attribute `name` is `value`.
    pub fn wait_attribute(&self, test_id: &str, name: &str, value: &str, timeout: Duration) {
        let css = by_test_id(test_id);
        self.wait_css_attribute(&css, name, timeout, |v| v == value);
    }

    /// Waits until the attribute `name` of what `css` selects satisfies
    /// `want`; returns it.
    pub fn wait_css_attribute(
        &self,
        css: &str,
        name: &str,
        timeout: Duration,
        want: impl Fn(&str) -> bool,
    ) -> String {
        self.poll(
            timeout,
            || {
                let now = self
                    .find(css)
                    .and_then(|e| e.attribute(name))
                    .ok()
                    .flatten();
                match now {
                    Some(v) if want(&v) => Ok(v),
                    other => Err(other),
                }
            },
            |last| format!("{css} never had the {name} expected (last: {last:?})"),
        )
    }

    /// Waits until no element matches `test_id`.
    pub fn wait_gone(&self, test_id: &str, timeout: Duration) {
        let css = by_test_id(test_id);
        self.poll(
            timeout,
            || {
                if self.find(&css).is_ok() {
                    Err(())
                } else {
                    Ok(())
                }
            },
            |_| format!("{test_id} is still there"),
        )
    }

    /// What has the keyboard focus: its `data-testid`, else its tag and text
    /// (`BUTTON Call`).
    pub fn focused(&self) -> String {
        self.execute(
            "const e = document.activeElement; if (!e) return ''; \
             return e.dataset.testid || (e.tagName + ' ' + (e.innerText || e.value || '').trim());",
        )
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
    }

    /// Loads `url` in the window (a page of another site, for instance).
    pub fn navigate(&self, url: &str) -> Result<(), WebDriverError> {
        self.call("POST", "/url", Some(&json!({ "url": url })))
            .map(|_| ())
    }

    pub fn execute(&self, script: &str) -> Result<Value, WebDriverError> {
        self.call(
            "POST",
            "/execute/sync",
            Some(&json!({ "script": script, "args": [] })),
        )
    }

    pub fn page_text(&self) -> String {
        self.execute("return document.body ? document.body.innerText : ''")
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    pub fn close(self) {
        let _ = request(
            self.port,
            "DELETE",
            &format!("/session/{}", self.session),
            None,
        );
    }
}

impl Element<'_> {
    fn call(
        &self,
        method: &str,
        what: &str,
        body: Option<&Value>,
    ) -> Result<Value, WebDriverError> {
        self.driver
            .call(method, &format!("/element/{}{what}", self.id), body)
    }

    /// Scrolls the element to the middle of the window, then clicks it.
    /// (WebKitWebDriver's own scrolling left a button at the window's bottom
    /// edge unclicked: the click went nowhere.)
    pub fn click(&self) -> Result<(), WebDriverError> {
        self.driver.call(
            "POST",
            "/execute/sync",
            Some(&json!({
                "script": "arguments[0].scrollIntoView({block: 'center'}); return true",
                "args": [{ ELEMENT: self.id }],
            })),
        )?;
        self.call("POST", "/click", Some(&json!({}))).map(drop)
    }

    pub fn clear(&self) -> Result<(), WebDriverError> {
        self.call("POST", "/clear", Some(&json!({}))).map(drop)
    }

    pub fn send_keys(&self, text: &str) -> Result<(), WebDriverError> {
        self.call("POST", "/value", Some(&json!({ "text": text })))
            .map(drop)
    }

    pub fn text(&self) -> Result<String, WebDriverError> {
        Ok(self
            .call("GET", "/text", None)?
            .as_str()
            .unwrap_or_default()
            .to_string())
    }

    pub fn attribute(&self, name: &str) -> Result<Option<String>, WebDriverError> {
        Ok(self
            .call("GET", &format!("/attribute/{name}"), None)?
            .as_str()
            .map(str::to_string))
    }
}

/// The CSS selector of the element whose `data-testid` is `test_id`.
pub fn by_test_id(test_id: &str) -> String {
    format!("[data-testid=\"{test_id}\"]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunked_bodies_decode() {
        assert_eq!(
            dechunk(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
            b"hello world"
        );
    }
}
