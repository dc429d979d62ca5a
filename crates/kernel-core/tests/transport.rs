//! The core against real sockets: a small HTTP/1.1 server on 127.0.0.1 whose answers each test
//! scripts, and which records what it received.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kernel_core::{
    CancellationToken, Client, ClientOptions, Error, InvocationStatus, InvocationUpdateParams,
    ProxySetting, RequestOptions, UpdateStatus,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with request number `n` (0-based).
#[derive(Clone)]
enum Reply {
    /// Status, extra header lines, body.
    Http(u16, Vec<(&'static str, String)>, String),
    /// Headers promising `len` bytes, then only `sent` bytes, then close.
    Truncated { len: usize, sent: String },
    /// Read the request, then never answer.
    Stall,
    /// Headers, then the body never comes.
    StallBody,
    /// Close the connection without answering.
    Drop,
    /// 200 with a chunked body (no content-length), one chunk per string.
    Chunked(Vec<String>),
}

#[derive(Clone, Debug)]
struct Seen {
    head: String,
    body: String,
}

struct Server {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    closed: Arc<tokio::sync::Notify>,
}

const INVOCATION: &str = r#"{"id":"inv1","app_name":"app","action_name":"act","started_at":"2026-11-28T10:00:00.123456789Z","finished_at":null,"status":"succeeded","version":"1","region":"eu"}"#;

fn ok() -> Reply {
    Reply::Http(200, vec![], INVOCATION.to_owned())
}

async fn serve(replies: Vec<Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let closed = Arc::new(tokio::sync::Notify::new());
    let (seen2, closed2) = (seen.clone(), closed.clone());
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let (seen, closed, replies) = (seen2.clone(), closed2.clone(), replies.clone());
            tokio::spawn(handle(socket, seen, closed, replies));
        }
    });
    Server { url, seen, closed }
}

async fn read_request(socket: &mut TcpStream) -> Option<Seen> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse::<usize>().unwrap())
        })
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string();
    Some(Seen { head, body })
}

async fn handle(
    mut socket: TcpStream,
    seen: Arc<Mutex<Vec<Seen>>>,
    closed: Arc<tokio::sync::Notify>,
    replies: Vec<Reply>,
) {
    while let Some(request) = read_request(&mut socket).await {
        let n = {
            let mut seen = seen.lock().unwrap();
            seen.push(request);
            seen.len() - 1
        };
        let reply = replies.get(n).or(replies.last()).cloned().unwrap();
        match reply {
            Reply::Http(status, headers, body) => {
                let mut out = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                for (name, value) in headers {
                    out.push_str(&format!("{name}: {value}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&body);
                if socket.write_all(out.as_bytes()).await.is_err() {
                    return;
                }
            }
            Reply::Truncated { len, sent } => {
                let out = format!("HTTP/1.1 200 OK\r\ncontent-length: {len}\r\n\r\n{sent}");
                let _ = socket.write_all(out.as_bytes()).await;
                return;
            }
            Reply::Stall | Reply::StallBody => {
                if matches!(reply, Reply::StallBody) {
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n{")
                        .await;
                }
                // Wait until the client hangs up, then say so.
                let mut byte = [0u8; 1];
                while matches!(socket.read(&mut byte).await, Ok(n) if n > 0) {}
                closed.notify_one();
                return;
            }
            Reply::Drop => return,
            Reply::Chunked(chunks) => {
                let mut out = String::from("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");
                for chunk in chunks {
                    out.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
                }
                out.push_str("0\r\n\r\n");
                if socket.write_all(out.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn client(url: &str) -> Client {
    Client::new(ClientOptions {
        api_key: Some("sk-test-secret".into()),
        base_url: Some(url.into()),
        ..ClientOptions::default()
    })
    .unwrap()
}

fn succeed() -> InvocationUpdateParams {
    InvocationUpdateParams {
        status: UpdateStatus::Succeeded,
        output: None,
    }
}

fn quick(max_retries: u32) -> RequestOptions {
    RequestOptions {
        timeout: Some(Duration::from_millis(300)),
        max_retries: Some(max_retries),
        ..RequestOptions::default()
    }
}

fn fast_retry(status: u16) -> Reply {
    Reply::Http(
        status,
        vec![("retry-after-ms", "1".into())],
        r#"{"code":"x","message":"busy"}"#.into(),
    )
}

#[tokio::test]
async fn sends_the_documented_request_and_keeps_every_field() {
    let server = serve(vec![ok()]).await;
    let params = InvocationUpdateParams {
        status: UpdateStatus::Failed,
        output: Some("{\"é\":\"🚀\"}".into()),
    };
    let invocation = client(&server.url)
        .invocations()
        .update("a/b ?#", &params, &RequestOptions::default())
        .await
        .unwrap()
        .data;
    assert_eq!(invocation.id.as_deref(), Some("inv1"));
    assert_eq!(invocation.status, Some(InvocationStatus::Succeeded));
    assert_eq!(invocation.finished_at, None);
    assert_eq!(invocation.extra["finished_at"], serde_json::Value::Null);
    assert_eq!(invocation.extra["region"], "eu");

    let seen = server.seen.lock().unwrap()[0].clone();
    let head = seen.head.to_ascii_lowercase();
    assert!(
        head.starts_with("patch /v1/invocations/a%2fb%20%3f%23 http/1.1\r\n"),
        "{head}"
    );
    assert!(head.contains("authorization: bearer sk-test-secret\r\n"));
    assert!(head.contains("content-type: application/json\r\n"));
    assert!(head.contains("accept: application/json\r\n"));
    assert!(head.contains(&format!(
        "user-agent: kernel-core/{}\r\n",
        kernel_core::VERSION
    )));
    assert_eq!(
        seen.body,
        r#"{"status":"failed","output":"{\"é\":\"🚀\"}"}"#
    );
}

#[tokio::test]
async fn api_errors_carry_status_body_headers_and_message() {
    let server = serve(vec![Reply::Http(
        404,
        vec![("x-request-id", "req_1".into())],
        r#"{"code":"not_found","message":"invocation not found"}"#.into(),
    )])
    .await;
    let err = client(&server.url)
        .invocations()
        .update("missing", &succeed(), &RequestOptions::default())
        .await
        .unwrap_err();
    let Error::Api(api) = err else {
        panic!("expected an API error, got {err:?}")
    };
    assert_eq!(api.status.as_u16(), 404);
    assert_eq!(api.message, "404 invocation not found");
    assert_eq!(api.request_id(), Some("req_1"));
    assert_eq!(api.body.unwrap()["code"], "not_found");
    assert_eq!(server.seen.lock().unwrap().len(), 1, "404 is not retried");
}

#[tokio::test]
async fn retryable_statuses_are_retried_until_success() {
    for status in [408, 409, 429, 500, 503] {
        let server = serve(vec![fast_retry(status), fast_retry(status), ok()]).await;
        let invocation = client(&server.url)
            .invocations()
            .update("x", &succeed(), &RequestOptions::default())
            .await;
        assert!(invocation.is_ok(), "{status}: {invocation:?}");
        assert_eq!(server.seen.lock().unwrap().len(), 3, "{status}");
    }
}

#[tokio::test]
async fn retries_stop_at_max_retries() {
    let server = serve(vec![fast_retry(503)]).await;
    let err = client(&server.url)
        .invocations()
        .update("x", &succeed(), &quick(1))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Api(api) if api.status.as_u16() == 503),
        "{err:?}"
    );
    assert_eq!(server.seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn x_should_retry_overrides_the_status() {
    let never = Reply::Http(503, vec![("x-should-retry", "false".into())], String::new());
    let server = serve(vec![never]).await;
    let _ = client(&server.url)
        .invocations()
        .update("x", &succeed(), &quick(2))
        .await;
    assert_eq!(server.seen.lock().unwrap().len(), 1);

    let always = Reply::Http(
        400,
        vec![
            ("x-should-retry", "true".into()),
            ("retry-after-ms", "1".into()),
        ],
        String::new(),
    );
    let server = serve(vec![always, ok()]).await;
    let result = client(&server.url)
        .invocations()
        .update("x", &succeed(), &quick(2))
        .await;
    assert!(result.is_ok());
    assert_eq!(server.seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let wait = Reply::Http(429, vec![("retry-after", "0.3".into())], String::new());
    let server = serve(vec![wait, ok()]).await;
    let started = Instant::now();
    client(&server.url)
        .invocations()
        .update("x", &succeed(), &quick(1))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(290),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_stalled_answer_times_out_and_is_retried() {
    let server = serve(vec![Reply::Stall]).await;
    let err = client(&server.url)
        .invocations()
        .update(
            "x",
            &succeed(),
            &RequestOptions {
                timeout: Some(Duration::from_millis(100)),
                max_retries: Some(1),
                ..RequestOptions::default()
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert_eq!(server.seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_body_that_stalls_after_the_headers_times_out() {
    let server = serve(vec![Reply::StallBody]).await;
    let err = client(&server.url)
        .invocations()
        .update("x", &succeed(), &quick(0))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout), "{err:?}");
}

#[tokio::test]
async fn a_truncated_body_is_a_connection_error() {
    let server = serve(vec![Reply::Truncated {
        len: 100,
        sent: "{\"id\":".into(),
    }])
    .await;
    let err = client(&server.url)
        .invocations()
        .update("x", &succeed(), &quick(0))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
}

#[tokio::test]
async fn a_dropped_connection_is_retried() {
    let server = serve(vec![Reply::Drop, ok()]).await;
    let result = client(&server.url)
        .invocations()
        .update("x", &succeed(), &quick(1))
        .await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(server.seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn connection_refused_is_a_connection_error_without_the_key() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = client(&url)
        .invocations()
        .update("x", &succeed(), &quick(0))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert!(!err.to_string().contains("sk-test-secret"));
    assert!(!format!("{err:?}").contains("sk-test-secret"));
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_a_decode_error() {
    // Missing or new fields are not errors (see `lenient.rs`); a body that cannot be an
    // invocation at all is.
    for body in ["not json", "[]", "5", "null", "\"text\""] {
        let server = serve(vec![Reply::Http(200, vec![], body.into())]).await;
        let err = client(&server.url)
            .invocations()
            .update("x", &succeed(), &quick(0))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Decode { status: 200, .. }),
            "{body}: {err:?}"
        );
    }
}

#[tokio::test]
async fn cancelling_drops_the_connection_and_is_not_retried() {
    let server = serve(vec![Reply::Stall]).await;
    let token = CancellationToken::new();
    let options = RequestOptions {
        cancel: Some(token.clone()),
        max_retries: Some(3),
        ..RequestOptions::default()
    };
    let canceller = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        token.cancel();
    });
    let c = client(&server.url);
    let err = c
        .invocations()
        .update("x", &succeed(), &options)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Aborted), "{err:?}");
    canceller.await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), server.closed.notified())
        .await
        .expect("the server should see the connection close");
    assert_eq!(server.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn an_already_cancelled_token_sends_nothing() {
    let server = serve(vec![ok()]).await;
    let token = CancellationToken::new();
    token.cancel();
    let options = RequestOptions {
        cancel: Some(token),
        ..RequestOptions::default()
    };
    let err = client(&server.url)
        .invocations()
        .update("x", &succeed(), &options)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Aborted));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(server.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn bad_input_sends_nothing() {
    let server = serve(vec![ok()]).await;
    let c = client(&server.url);
    for id in ["", ".", ".."] {
        let err = c
            .invocations()
            .update(id, &succeed(), &RequestOptions::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::InvalidInput { field: "id", .. }),
            "{id:?}: {err:?}"
        );
    }
    let bad_header = RequestOptions {
        headers: vec![("x-a".into(), Some("a\r\nb".into()))],
        ..RequestOptions::default()
    };
    let err = c
        .invocations()
        .update("x", &succeed(), &bad_header)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidInput {
            field: "headers",
            ..
        }
    ));
    let zero = RequestOptions {
        timeout: Some(Duration::ZERO),
        ..RequestOptions::default()
    };
    let err = c
        .invocations()
        .update("x", &succeed(), &zero)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidInput {
            field: "timeout",
            ..
        }
    ));
    assert!(server.seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn request_headers_beat_default_headers_and_none_removes() {
    let server = serve(vec![ok()]).await;
    let c = Client::new(ClientOptions {
        api_key: Some("k".into()),
        base_url: Some(server.url.clone()),
        default_headers: vec![
            ("x-team".into(), Some("a".into())),
            ("x-drop".into(), Some("d".into())),
            ("user-agent".into(), None),
        ],
        ..ClientOptions::default()
    })
    .unwrap();
    let options = RequestOptions {
        headers: vec![("X-Team".into(), Some("b".into())), ("x-drop".into(), None)],
        ..RequestOptions::default()
    };
    c.invocations()
        .update("x", &succeed(), &options)
        .await
        .unwrap();
    let head = server.seen.lock().unwrap()[0].head.to_ascii_lowercase();
    assert!(head.contains("x-team: b\r\n"), "{head}");
    assert!(!head.contains("x-team: a"));
    assert!(!head.contains("x-drop"));
    assert!(
        !head.contains("user-agent"),
        "a None default header removes the built-in one"
    );
}

#[tokio::test]
async fn many_concurrent_calls_share_one_pool() {
    let server = serve(vec![ok()]).await;
    let c = client(&server.url);
    let calls = (0..200).map(|i| {
        let c = c.clone();
        async move {
            c.invocations()
                .update(&format!("id{i}"), &succeed(), &RequestOptions::default())
                .await
        }
    });
    let results = futures_join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(server.seen.lock().unwrap().len(), 200);
}

/// The value of header `name` (lower-case) in a recorded request head.
fn header_value(seen: &Seen, name: &str) -> Option<String> {
    seen.head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

#[tokio::test]
async fn an_idempotency_key_is_sent_on_every_retry_of_its_call() {
    let server = serve(vec![fast_retry(503), fast_retry(429), ok()]).await;
    let options = RequestOptions {
        idempotency_key: Some("order-42".into()),
        ..quick(2)
    };
    client(&server.url)
        .invocations()
        .update("x", &succeed(), &options)
        .await
        .unwrap();
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    for request in seen.iter() {
        assert_eq!(
            header_value(request, "idempotency-key").as_deref(),
            Some("order-42")
        );
    }
}

#[tokio::test]
async fn generated_idempotency_keys_are_per_call_and_only_on_mutations() {
    let server = serve(vec![fast_retry(503), ok(), ok(), ok()]).await;
    let c = Client::new(ClientOptions {
        api_key: Some("k".into()),
        base_url: Some(server.url.clone()),
        idempotency_keys: true,
        ..ClientOptions::default()
    })
    .unwrap();
    c.invocations()
        .update("x", &succeed(), &quick(1))
        .await
        .unwrap();
    c.invocations()
        .update("x", &succeed(), &quick(1))
        .await
        .unwrap();
    c.invocations().retrieve("x", &quick(0)).await.unwrap();
    let seen = server.seen.lock().unwrap();
    let keys: Vec<_> = seen
        .iter()
        .map(|r| header_value(r, "idempotency-key"))
        .collect();
    let first = keys[0].clone().expect("a PATCH carries a key");
    assert!(
        first.starts_with("kernel-native-") && first.len() > 30,
        "{first}"
    );
    assert_eq!(
        keys[1].as_ref(),
        Some(&first),
        "the retry reuses its call's key"
    );
    assert!(
        keys[2].is_some() && keys[2] != keys[0],
        "another call, another key"
    );
    assert_eq!(keys[3], None, "a GET carries none");
}

#[tokio::test]
async fn an_empty_idempotency_key_or_one_with_a_line_break_sends_nothing() {
    let server = serve(vec![ok()]).await;
    for key in ["a\r\nx-injected: 1", ""] {
        let options = RequestOptions {
            idempotency_key: Some(key.into()),
            ..quick(0)
        };
        let err = client(&server.url)
            .invocations()
            .update("x", &succeed(), &options)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    field: "idempotencyKey",
                    ..
                }
            ),
            "{key:?}: {err:?}"
        );
    }
    assert!(server.seen.lock().unwrap().is_empty());
}

fn capped_client(url: &str, limit: u64) -> Client {
    Client::new(ClientOptions {
        api_key: Some("k".into()),
        base_url: Some(url.into()),
        max_response_bytes: Some(limit),
        ..ClientOptions::default()
    })
    .unwrap()
}

#[tokio::test]
async fn success_bodies_over_max_response_bytes_fail_and_error_bodies_are_cut() {
    let limit = INVOCATION.len() as u64;
    let half = INVOCATION.len() / 2;
    let split = vec![INVOCATION[..half].to_owned(), INVOCATION[half..].to_owned()];
    let server = serve(vec![
        ok(),
        Reply::Chunked(split.clone()),
        ok(),
        Reply::Chunked(split),
        Reply::Http(500, vec![], "x".repeat(INVOCATION.len() + 1)),
    ])
    .await;
    let exact = capped_client(&server.url, limit);
    let tight = capped_client(&server.url, limit - 1);
    for c in [&exact, &exact] {
        let result = c.invocations().update("x", &succeed(), &quick(0)).await;
        assert_eq!(
            result.unwrap().data.id.as_deref(),
            Some("inv1"),
            "a body at the limit is read"
        );
    }
    for _ in 0..2 {
        let err = tight
            .invocations()
            .update("x", &succeed(), &quick(0))
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::ResponseTooLarge { limit: l } if l == limit - 1),
            "{err:?}"
        );
        assert!(err.to_string().contains("maxResponseBytes"), "{err}");
    }
    // An error answer keeps its status: its body is cut at the limit, not refused.
    let err = tight
        .invocations()
        .update("x", &succeed(), &quick(0))
        .await
        .unwrap_err();
    let Error::Api(api) = err else {
        panic!("expected an API error, got {err:?}")
    };
    assert_eq!(api.status.as_u16(), 500);
    assert_eq!(
        api.text.as_deref().map(str::len),
        Some(INVOCATION.len() - 1)
    );
    assert!(matches!(
        Client::new(ClientOptions {
            api_key: Some("k".into()),
            max_response_bytes: Some(0),
            ..ClientOptions::default()
        }),
        Err(Error::InvalidInput {
            field: "maxResponseBytes",
            ..
        })
    ));
}

#[tokio::test]
async fn the_proxy_option_sends_every_request_through_the_proxy() {
    // The "proxy" is the scripted server; the target port is closed, so only a request that
    // went through the proxy can succeed.
    let proxy = serve(vec![ok()]).await;
    let proxy_root = proxy.url.trim_end_matches("/v1").to_owned();
    let c = Client::new(ClientOptions {
        api_key: Some("k".into()),
        base_url: Some("http://127.0.0.1:9/v1".into()),
        proxy: ProxySetting::Url(proxy_root),
        ..ClientOptions::default()
    })
    .unwrap();
    c.invocations()
        .update("x", &succeed(), &quick(0))
        .await
        .unwrap();
    let seen = proxy.seen.lock().unwrap();
    assert!(
        seen[0]
            .head
            .starts_with("PATCH http://127.0.0.1:9/v1/invocations/x HTTP/1.1"),
        "{}",
        seen[0].head
    );
}

async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}
