//! A minimal W3C WebDriver client over plain HTTP/1.1: just what the real-window tests need
//! (sessions, elements, scripts, windows, screenshots).

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Session {
    port: u16,
    id: String,
}

pub struct Element<'a> {
    session: &'a Session,
    id: String,
}

impl Session {
    /// Starts the app through tauri-driver; every element lookup then waits up to `wait`.
    pub fn start(port: u16, application: &str, wait: Duration) -> Result<Self, String> {
        let capabilities = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "wry",
            "tauri:options": { "application": application },
        }}});
        let reply = request(port, "POST", "/session", Some(&capabilities))?;
        let id = reply["sessionId"]
            .as_str()
            .ok_or_else(|| format!("no sessionId in {reply}"))?
            .to_owned();
        let session = Self { port, id };
        let ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        session.command("POST", "/timeouts", Some(&json!({ "implicit": ms })))?;
        Ok(session)
    }

    /// The first element matching a CSS selector, waiting for it to appear.
    pub fn find(&self, css: &str) -> Result<Element<'_>, String> {
        let body = json!({ "using": "css selector", "value": css });
        let found = self
            .command("POST", "/element", Some(&body))
            .map_err(|e| format!("{css}: {e}"))?;
        let id = found[ELEMENT_KEY]
            .as_str()
            .ok_or_else(|| format!("{css}: no element id in {found}"))?
            .to_owned();
        Ok(Element { session: self, id })
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the current window and
    /// returns what it returns.
    pub fn execute(&self, script: &str, args: &[Value]) -> Result<Value, String> {
        self.command(
            "POST",
            "/execute/sync",
            Some(&json!({ "script": script, "args": args })),
        )
    }

    /// The handles of every open window (Tauri: one per webview window).
    pub fn window_handles(&self) -> Result<Vec<String>, String> {
        let value = self.command("GET", "/window/handles", None)?;
        value
            .as_array()
            .map(|handles| {
                handles
                    .iter()
                    .filter_map(|h| h.as_str().map(str::to_owned))
                    .collect()
            })
            .ok_or_else(|| format!("window handles were {value}"))
    }

    pub fn current_window(&self) -> Result<String, String> {
        let value = self.command("GET", "/window", None)?;
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("window handle was {value}"))
    }

    /// Makes `handle` the window later commands act on.
    pub fn switch_to_window(&self, handle: &str) -> Result<(), String> {
        self.command("POST", "/window", Some(&json!({ "handle": handle })))
            .map(drop)
    }

    /// Waits until the page has painted what the DOM holds now (two animation frames), so a
    /// screenshot taken next shows it: WebKitWebDriver otherwise captures the previous paint.
    pub fn await_paint(&self) -> Result<(), String> {
        self.command(
            "POST",
            "/execute/async",
            Some(&json!({
                "script": "const done = arguments[arguments.length - 1];\n\
                           requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                "args": [],
            })),
        )
        .map(drop)
    }

    /// A PNG of the window as the user sees it, written to `path` (after the next paint).
    pub fn screenshot(&self, path: &std::path::Path) -> Result<(), String> {
        use base64::Engine as _;
        self.await_paint()?;
        let value = self.command("GET", "/screenshot", None)?;
        let encoded = value
            .as_str()
            .ok_or_else(|| format!("screenshot was {value}"))?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| format!("screenshot is not base64: {e}"))?;
        if !png.starts_with(b"\x89PNG") {
            return Err("screenshot is not a PNG".into());
        }
        std::fs::write(path, png).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    fn command(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let reply = request(
            self.port,
            method,
            &format!("/session/{}{path}", self.id),
            body,
        )?;
        Ok(reply)
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = request(self.port, "DELETE", &format!("/session/{}", self.id), None);
    }
}

impl Element<'_> {
    pub fn click(&self) -> Result<(), String> {
        self.post("/click", &json!({})).map(drop)
    }

    pub fn clear(&self) -> Result<(), String> {
        self.post("/clear", &json!({})).map(drop)
    }

    pub fn type_text(&self, text: &str) -> Result<(), String> {
        self.post("/value", &json!({ "text": text })).map(drop)
    }

    /// The value of an attribute, `None` when the element does not have it.
    pub fn attribute(&self, name: &str) -> Result<Option<String>, String> {
        let path = format!("/element/{}/attribute/{name}", self.id);
        let value = self.session.command("GET", &path, None)?;
        Ok(value.as_str().map(str::to_owned))
    }

    pub fn text(&self) -> Result<String, String> {
        let path = format!("/element/{}/text", self.id);
        let value = self.session.command("GET", &path, None)?;
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("text was {value}"))
    }

    fn post(&self, action: &str, body: &Value) -> Result<Value, String> {
        let path = format!("/element/{}{action}", self.id);
        self.session.command("POST", &path, Some(body))
    }
}

/// One request on a fresh connection; returns the reply's `value`, or its WebDriver error.
///
/// tauri-driver closes the connection without a reply when forwarding fails, which happens when
/// its pooled connection to WebKitWebDriver went stale; the command never reached the browser,
/// so it is sent again.
fn request(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    const ATTEMPTS: usize = 3;
    let mut attempt = 1;
    loop {
        match exchange(port, method, path, body)? {
            Some(raw) => return parse_reply(method, path, &raw),
            None if attempt < ATTEMPTS => attempt += 1,
            None => {
                return Err(format!(
                    "{method} {path}: no reply after {ATTEMPTS} attempts"
                ))
            }
        }
    }
}

/// Sends one request; `None` when the connection closed without a byte of reply.
fn exchange(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Option<Vec<u8>>, String> {
    let payload = body.map(Value::to_string).unwrap_or_default();
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        payload.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(payload.as_bytes()))
        .map_err(|e| format!("send {method} {path}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read {method} {path}: {e}"))?;
    Ok((!raw.is_empty()).then_some(raw))
}

fn parse_reply(method: &str, path: &str, raw: &[u8]) -> Result<Value, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| {
            format!(
                "{method} {path}: malformed reply {:?}",
                String::from_utf8_lossy(raw)
            )
        })?;
    let headers = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let mut body = raw[split + 4..].to_vec();
    if headers.contains("transfer-encoding: chunked") {
        body = dechunk(&body)?;
    }
    let body = String::from_utf8(body).map_err(|e| format!("{method} {path}: {e}"))?;
    let reply: Value =
        serde_json::from_str(&body).map_err(|e| format!("{method} {path}: {e}: {body:?}"))?;
    // Every reply, new-session included, carries its result in `value`.
    let value = reply.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        return Err(format!("{method} {path}: {error}: {message}"));
    }
    Ok(value)
}

fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("chunked reply without size line")?;
        let size_line = String::from_utf8_lossy(&body[..line_end]).into_owned();
        let size = usize::from_str_radix(size_line.trim(), 16)
            .map_err(|e| format!("bad chunk size {size_line:?}: {e}"))?;
        if size == 0 {
            return Ok(out);
        }
        let rest = &body[line_end + 2..];
        out.extend_from_slice(rest.get(..size).ok_or("chunk shorter than its size")?);
        body = rest.get(size + 2..).ok_or("chunk without trailing CRLF")?;
    }
}
