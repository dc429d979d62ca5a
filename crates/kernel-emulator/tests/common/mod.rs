//! Helpers shared by the emulator's integration tests: a started emulator with a known key, a
//! plain HTTP/1.1 reqwest client, raw-socket requests, a chunked-body decoder and an SSE parser.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use kernel_emulator::{Emulator, EmulatorConfig};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const KEY: &str = "test-key";

/// Anything that waits on the network waits at most this long, so a bug fails instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub async fn within<F: std::future::Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(PATIENCE, future)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

pub async fn start() -> Emulator {
    start_with(EmulatorConfig {
        api_key: Some(KEY.into()),
        ..EmulatorConfig::default()
    })
    .await
}

pub async fn start_with(config: EmulatorConfig) -> Emulator {
    Emulator::start(config).await.expect("the emulator starts")
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .timeout(PATIENCE)
        .build()
        .expect("a reqwest client")
}

/// One answer, body already read.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// Reads the whole of a response.
    pub async fn read(response: reqwest::Response) -> reqwest::Result<Answer> {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?.to_vec();
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!(
                "body is not JSON ({err}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts an error answer: this status and a `{code, message}` body with this code.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.body)
        );
        let body = self.json();
        let fields = body.as_object().expect("error body is an object");
        assert_eq!(
            fields.len(),
            2,
            "error body has exactly code and message: {body}"
        );
        assert_eq!(body["code"], code, "{body}");
        let message = body["message"].as_str().expect("message is a string");
        assert!(!message.is_empty());
        assert!(
            self.header("content-type")
                .is_some_and(|v| v.starts_with("application/json")),
            "{:?}",
            self.headers
        );
    }
}

/// An API client bound to one emulator.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub key: String,
    pub http: reqwest::Client,
}

impl Api {
    pub fn new(emulator: &Emulator) -> Api {
        Api {
            base: emulator.url(),
            key: emulator.api_key().to_owned(),
            http: client(),
        }
    }

    pub fn at(base: &str, key: &str) -> Api {
        Api {
            base: base.to_owned(),
            key: key.to_owned(),
            http: client(),
        }
    }

    /// A request with the right bearer token (`auth = Some(KEY)`), another one, or none.
    pub async fn send_as(
        &self,
        auth: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, reqwest::Error> {
        let mut request = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(value) = auth {
            request = request.header("authorization", value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        Answer::read(request.send().await?).await
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Answer {
        let bearer = format!("Bearer {}", self.key);
        within(
            &format!("{method} {path}"),
            self.send_as(Some(&bearer), method.clone(), path, body),
        )
        .await
        .unwrap_or_else(|err| panic!("{method} {path} failed: {err:?}"))
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Answer {
        self.send(Method::POST, path, Some(body.to_string().into_bytes()))
            .await
    }

    pub async fn patch_json(&self, path: &str, body: &Value) -> Answer {
        self.send(Method::PATCH, path, Some(body.to_string().into_bytes()))
            .await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    /// Creates an invocation and returns its id (asserting the create succeeded: 200, or 202
    /// for an async one).
    pub async fn create(&self, app: &str, action: &str, version: &str, is_async: bool) -> String {
        let answer = self
            .post_json(
                "/invocations",
                &serde_json::json!({
                    "app_name": app, "action_name": action, "version": version, "async": is_async
                }),
            )
            .await;
        assert_eq!(
            answer.status,
            if is_async { 202 } else { 200 },
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        answer.json()["id"].as_str().unwrap().to_owned()
    }

    pub async fn invocation(&self, id: &str) -> Value {
        let answer = self.get(&format!("/invocations/{id}")).await;
        assert_eq!(answer.status, 200);
        answer.json()
    }

    /// One page of `GET /invocations?query`: the items, X-Has-More and X-Next-Offset.
    pub async fn list(&self, query: &str) -> (Vec<Value>, bool, usize) {
        let answer = self.get(&format!("/invocations?{query}")).await;
        assert_eq!(
            answer.status,
            200,
            "{query}: {}",
            String::from_utf8_lossy(&answer.body)
        );
        let has_more = match answer.header("x-has-more") {
            Some("true") => true,
            Some("false") => false,
            other => panic!("X-Has-More is {other:?}"),
        };
        let next = answer
            .header("x-next-offset")
            .expect("X-Next-Offset present")
            .parse()
            .expect("X-Next-Offset is a number");
        let items = answer.json().as_array().expect("a JSON array").clone();
        (items, has_more, next)
    }

    pub async fn list_ids(&self, query: &str) -> Vec<String> {
        self.list(query)
            .await
            .0
            .iter()
            .map(|item| item["id"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Every id, unfiltered, `limit` a page: follows `X-Next-Offset` until `X-Has-More` is false.
    pub async fn walk_ids(&self, limit: usize) -> Vec<String> {
        let mut ids = Vec::new();
        let mut offset = 0;
        loop {
            let (items, has_more, next) =
                self.list(&format!("limit={limit}&offset={offset}")).await;
            ids.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
            if !has_more {
                return ids;
            }
            offset = next;
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, a valid RFC 3339 time.
#[track_caller]
pub fn assert_timestamp(value: &Value) -> time::OffsetDateTime {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("timestamp is not a string: {value}"));
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 30
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b'T',
            13 | 16 => *b == b':',
            19 => *b == b'.',
            29 => *b == b'Z',
            _ => b.is_ascii_digit(),
        });
    assert!(
        shape_ok,
        "timestamp {text:?} is not RFC 3339 with 9 digits and Z"
    );
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|err| panic!("timestamp {text:?} does not parse: {err}"))
}

#[track_caller]
pub fn assert_api_id(id: &str) {
    assert_eq!(id.len(), 24, "id {id:?}");
    assert!(
        id.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
        "id {id:?}"
    );
}

/// A raw HTTP/1.1 request over a fresh socket; returns everything read until EOF.
pub async fn raw_exchange(address: SocketAddr, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut socket = TcpStream::connect(address).await?;
    socket.write_all(request).await?;
    let mut received = Vec::new();
    within("raw response until EOF", socket.read_to_end(&mut received)).await?;
    Ok(received)
}

pub fn raw_get(path: &str, extra_headers: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nHost: emulator\r\nAuthorization: Bearer {KEY}\r\n{extra_headers}Connection: close\r\n\r\n"
    )
    .into_bytes()
}

/// A streamed response read off a raw socket: the status line and headers, then the chunked
/// body decoded as it arrives.
pub struct RawStream {
    socket: TcpStream,
    buffer: Vec<u8>,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Decoded body bytes not consumed yet.
    body: Vec<u8>,
    /// The terminating zero-size chunk has been read.
    pub body_done: bool,
    /// The server closed the connection.
    pub eof: bool,
}

impl RawStream {
    pub async fn open(address: SocketAddr, request: &[u8]) -> RawStream {
        let mut socket = within("connect", TcpStream::connect(address))
            .await
            .expect("connects");
        socket.write_all(request).await.unwrap();
        let mut stream = RawStream {
            socket,
            buffer: Vec::new(),
            status: 0,
            headers: Vec::new(),
            body: Vec::new(),
            body_done: false,
            eof: false,
        };
        let head_end = loop {
            if let Some(end) = find(&stream.buffer, b"\r\n\r\n") {
                break end;
            }
            assert!(stream.fill().await, "EOF before the response head");
        };
        let head = String::from_utf8(stream.buffer[..head_end].to_vec()).unwrap();
        stream.buffer.drain(..head_end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        stream.status = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("status line {status_line:?}"));
        for line in lines {
            let (name, value) = line.split_once(':').expect("header line");
            stream
                .headers
                .push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
        stream
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Reads more bytes off the socket; false at EOF.
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16 * 1024];
        let read = within("socket read", self.socket.read(&mut chunk))
            .await
            .unwrap_or(0);
        if read == 0 {
            self.eof = true;
            return false;
        }
        self.buffer.extend_from_slice(&chunk[..read]);
        true
    }

    /// Moves complete chunks from the buffer into the body.
    fn decode(&mut self) {
        assert_eq!(
            self.header("transfer-encoding"),
            Some("chunked"),
            "the stream is chunked: {:?}",
            self.headers
        );
        while !self.body_done {
            let Some(line_end) = find(&self.buffer, b"\r\n") else {
                return;
            };
            let size_text = String::from_utf8(self.buffer[..line_end].to_vec()).unwrap();
            let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
                .unwrap_or_else(|_| panic!("chunk size line {size_text:?}"));
            if size == 0 {
                // Last chunk, no trailers: "0\r\n\r\n".
                if self.buffer.len() < line_end + 4 {
                    return;
                }
                assert_eq!(&self.buffer[line_end..line_end + 4], b"\r\n\r\n");
                self.buffer.drain(..line_end + 4);
                self.body_done = true;
                return;
            }
            let total = line_end + 2 + size + 2;
            if self.buffer.len() < total {
                return;
            }
            assert_eq!(&self.buffer[total - 2..total], b"\r\n", "chunk framing");
            self.body
                .extend_from_slice(&self.buffer[line_end + 2..line_end + 2 + size]);
            self.buffer.drain(..total);
        }
    }

    /// The next SSE event block (text up to a blank line), or None when the body or the
    /// connection ended first.
    pub async fn next_event(&mut self) -> Option<String> {
        loop {
            self.decode();
            if let Some(end) = find(&self.body, b"\n\n") {
                let block = String::from_utf8(self.body[..end].to_vec()).unwrap();
                self.body.drain(..end + 2);
                return Some(block);
            }
            if self.body_done || !self.fill().await {
                assert!(
                    self.body.is_empty(),
                    "incomplete event at the end: {:?}",
                    String::from_utf8_lossy(&self.body)
                );
                return None;
            }
        }
    }

    /// Waits for the connection to close; returns whatever bytes came before.
    pub async fn read_to_eof(&mut self) -> Vec<u8> {
        while self.fill().await {}
        let mut rest = std::mem::take(&mut self.body);
        rest.extend(std::mem::take(&mut self.buffer));
        rest
    }
}

/// An SSE event block split into its `event:` name and parsed `data:` JSON; asserts the block
/// is exactly those two lines.
#[track_caller]
pub fn parse_event(block: &str) -> (String, Value) {
    let lines: Vec<&str> = block.split('\n').collect();
    assert_eq!(
        lines.len(),
        2,
        "event block is `event:` + `data:`: {block:?}"
    );
    let name = lines[0]
        .strip_prefix("event: ")
        .unwrap_or_else(|| panic!("first line is `event: `: {block:?}"));
    let data = lines[1]
        .strip_prefix("data: ")
        .unwrap_or_else(|| panic!("second line is `data: `: {block:?}"));
    let data: Value = serde_json::from_str(data).expect("data is JSON");
    (name.to_owned(), data)
}

pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Requests with extra headers (an `Idempotency-Key`, say) and the `/_emulator/` read routes.
impl Api {
    /// A request with the bearer key (unless `headers` names its own `authorization`) and these
    /// extra headers; an error when no answer came (a dropped connection).
    pub async fn try_send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<Answer, reqwest::Error> {
        let mut request = self.http.request(method, format!("{}{}", self.base, path));
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        {
            request = request.header("authorization", format!("Bearer {}", self.key));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        Answer::read(request.send().await?).await
    }

    /// [`Api::try_send_with`], failing the test when no answer came.
    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        within(
            &format!("{method} {path}"),
            self.try_send_with(method.clone(), path, body, headers),
        )
        .await
        .unwrap_or_else(|err| panic!("{method} {path} failed: {err:?}"))
    }

    /// A request with the bearer key and this `Idempotency-Key`.
    pub async fn send_keyed(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        key: &str,
    ) -> Answer {
        self.send_with(method, path, body, &[("idempotency-key", key)])
            .await
    }

    /// `GET /_emulator/journal` (no key needed): the entries, asserting the envelope.
    pub async fn journal(&self) -> Vec<Value> {
        let answer = within(
            "GET /_emulator/journal",
            self.send_as(None, Method::GET, "/_emulator/journal", None),
        )
        .await
        .expect("the journal answers");
        assert_eq!(answer.status, 200);
        let body = answer.json();
        assert_eq!(
            body.as_object().map(|o| o.len()),
            Some(1),
            "only `entries`: {body}"
        );
        body["entries"].as_array().expect("entries array").clone()
    }

    /// `GET /_emulator/stats` (no key needed).
    pub async fn stats(&self) -> Value {
        let answer = within(
            "GET /_emulator/stats",
            self.send_as(None, Method::GET, "/_emulator/stats", None),
        )
        .await
        .expect("the stats answer");
        assert_eq!(answer.status, 200);
        answer.json()
    }
}

/// `{"requests", "invocations", "faultsFired", "replayed"}`, exactly.
#[track_caller]
pub fn assert_stats(stats: &Value, requests: u64, invocations: u64, fired: u64, replayed: u64) {
    assert_eq!(
        stats,
        &serde_json::json!({
            "requests": requests, "invocations": invocations,
            "faultsFired": fired, "replayed": replayed,
        }),
    );
}
