//! A tiny std-only HTTP/1.1 client for the end-to-end tests (`Connection: close`, body by
//! `Content-Length`, chunked encoding or end of stream), and the bits of HTTP they parse.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Socket read/write timeout of one request.
const IO_TIMEOUT: Duration = Duration::from_secs(30);


/// One HTTP response, fully read.
#[derive(Clone)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The request path, for assertion messages.
    pub path: String,
}

impl Response {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    /// The media type of `Content-Type` without parameters, lower-cased ("" when absent).
    pub fn media_type(&self) -> String {
        self.header("content-type").unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase()
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("GET {}: body is not JSON ({e}):\n{}", self.path, self.text()))
    }

    /// Panics unless the status is `expected`, showing the body.
    #[track_caller]
    pub fn expect_status(&self, expected: u16) -> &Self {
        assert_eq!(self.status, expected, "GET {}: expected status {expected}, got {self:?}", self.path);
        self
    }

    /// The `Link` header (RFC 8288) as (rel, target) pairs.
    pub fn links(&self) -> Vec<(String, String)> {
        self.headers.iter().filter(|(n, _)| n == "link").flat_map(|(_, v)| parse_link_header(v)).collect()
    }

    /// The target of the link with this `rel`, if any.
    pub fn link(&self, rel: &str) -> Option<String> {
        self.links().into_iter().find(|(r, _)| r.split_ascii_whitespace().any(|r| r.eq_ignore_ascii_case(rel))).map(|(_, t)| t)
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "HTTP/1.1 {} {}", self.status, self.reason)?;
        for (n, v) in &self.headers {
            writeln!(f, "{n}: {v}")?;
        }
        let text = self.text();
        let shown: String = text.chars().take(2000).collect();
        write!(f, "\n{shown}{}", if shown.len() < text.len() { " …" } else { "" })
    }
}

/// Parses an RFC 8288 `Link` header value into (rel, target) pairs. Targets may contain
/// commas (`status=live,pilot`), so the value is split on `<…>` rather than on commas.
pub fn parse_link_header(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>').map(|c| open + c) else { break };
        let target = rest[open + 1..close].to_string();
        let after = &rest[close + 1..];
        let params_end = after.find('<').unwrap_or(after.len());
        let params = &after[..params_end];
        let rel = params
            .split(';')
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("rel"))
            .map(|(_, v)| v.trim().trim_end_matches(',').trim().trim_matches('"').to_string());
        if let Some(rel) = rel {
            out.push((rel, target));
        }
        rest = &after[params_end..];
    }
    out
}

/// `GET path` on `addr` with extra request headers; one connection per request.
pub fn http_get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> io::Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: efa-e2e\r\nAccept: */*\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.flush()?;
    // `Connection: close`: the server closes after the response, so read to the end.
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw, path)
}

/// Any request on `addr` with extra headers and an optional body (sent with
/// `Content-Length`); one connection per request, read to the end like [`http_get`].
pub fn http_request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> io::Result<Response> {
    let mut stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: efa-e2e\r\nAccept: */*\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(b) = body {
        request.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body.unwrap_or_default());
    stream.write_all(&bytes)?;
    stream.flush()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw, path)
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Parses a complete HTTP/1.1 response (status line, headers, body).
pub fn parse_response(raw: &[u8], path: &str) -> io::Result<Response> {
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| invalid(format!("no end of headers in {} bytes", raw.len())))?;
    let head = std::str::from_utf8(&raw[..head_end]).map_err(|_| invalid("headers are not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(invalid(format!("not an HTTP/1.x status line: {status_line:?}")));
    }
    let status: u16 = parts.next().and_then(|s| s.parse().ok()).ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
    let reason = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').ok_or_else(|| invalid(format!("bad header line {line:?}")))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    let rest = &raw[head_end + 4..];
    let find = |n: &str| headers.iter().find(|(h, _)| h == n).map(|(_, v)| v.as_str());
    let body = if status == 204 || status == 304 || (100..200).contains(&status) {
        Vec::new()
    } else if find("transfer-encoding").is_some_and(|te| te.to_ascii_lowercase().contains("chunked")) {
        decode_chunked(rest)?
    } else if let Some(len) = find("content-length") {
        let len: usize = len.parse().map_err(|_| invalid(format!("bad content-length {len:?}")))?;
        if rest.len() < len {
            return Err(invalid(format!("body cut short: content-length {len}, got {} bytes", rest.len())));
        }
        rest[..len].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response { status, reason, headers, body, path: path.to_string() })
}

/// Decodes a chunked body (RFC 9112 §7.1); trailers are ignored.
pub fn decode_chunked(mut data: &[u8]) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").ok_or_else(|| invalid("chunk size line without CRLF"))?;
        let line = std::str::from_utf8(&data[..line_end]).map_err(|_| invalid("chunk size is not text"))?;
        let size_hex = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| invalid(format!("bad chunk size {line:?}")))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if data.len() < size + 2 {
            return Err(invalid("chunk cut short"));
        }
        body.extend_from_slice(&data[..size]);
        if &data[size..size + 2] != b"\r\n" {
            return Err(invalid("chunk not followed by CRLF"));
        }
        data = &data[size + 2..];
    }
}

/// Percent-encodes a query value (UTF-8; unreserved characters kept).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
