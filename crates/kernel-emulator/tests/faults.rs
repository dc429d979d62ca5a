//! Fault injection, set up from Rust (`Emulator::fault`) and over HTTP (`/_emulator/faults`).

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::*;
use kernel_emulator::FaultSpec;
use reqwest::Method;
use serde_json::{json, Value};

async fn add_fault(api: &Api, spec: Value) -> Answer {
    within(
        "POST /_emulator/faults",
        api.send_as(
            None,
            Method::POST,
            "/_emulator/faults",
            Some(spec.to_string().into_bytes()),
        ),
    )
    .await
    .unwrap()
}

async fn clear_faults(api: &Api) {
    let answer = within(
        "DELETE /_emulator/faults",
        api.send_as(None, Method::DELETE, "/_emulator/faults", None),
    )
    .await
    .unwrap();
    assert_eq!(answer.status, 204);
    assert!(answer.body.is_empty());
}

#[track_caller]
fn assert_injected(answer: &Answer, status: u16) {
    assert_eq!(answer.status.as_u16(), status);
    let body = answer.json();
    assert_eq!(body["code"], "injected_fault", "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(body.as_object().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_status_fault_answers_times_requests_then_stops() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    emulator
        .fault(FaultSpec {
            status: Some(503),
            headers: Some(HashMap::from([
                ("Retry-After".to_owned(), "1".to_owned()),
                ("x-fault".to_owned(), "yes".to_owned()),
            ])),
            times: Some(2),
            ..FaultSpec::default()
        })
        .unwrap();
    for _ in 0..2 {
        let answer = api.get("/invocations").await;
        assert_injected(&answer, 503);
        assert_eq!(answer.header("retry-after"), Some("1"));
        assert_eq!(answer.header("x-fault"), Some("yes"));
    }
    let normal = api.get("/invocations").await;
    assert_eq!(normal.status, 200);
    assert_eq!(normal.header("x-fault"), None);
    assert_eq!(normal.json(), json!([]));

    // Default times is 1, a custom body replaces the default one.
    emulator
        .fault(FaultSpec {
            status: Some(500),
            body: Some(json!({"error": {"type": "boom"}, "n": 1})),
            ..FaultSpec::default()
        })
        .unwrap();
    let answer = api.get("/invocations").await;
    assert_eq!(answer.status, 500);
    assert_eq!(answer.json(), json!({"error": {"type": "boom"}, "n": 1}));
    assert_eq!(api.get("/invocations").await.status, 200);

    // A faulted create creates nothing; so does a faulted update.
    emulator
        .fault(FaultSpec {
            status: Some(200),
            body: Some(json!({"id": "fake"})),
            method: Some("POST".into()),
            ..FaultSpec::default()
        })
        .unwrap();
    let answer = api
        .post_json(
            "/invocations",
            &json!({"app_name": "a", "action_name": "b", "version": "1"}),
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), json!({"id": "fake"}));
    assert_eq!(emulator.store().len(), 0);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_match_on_method_and_path_prefix_in_order() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let id = api.create("app", "act", "1", false).await;

    // Method, any case.
    emulator
        .fault(FaultSpec {
            method: Some("patch".into()),
            status: Some(502),
            ..FaultSpec::default()
        })
        .unwrap();
    assert_eq!(api.get(&format!("/invocations/{id}")).await.status, 200);
    assert_eq!(api.get("/invocations").await.status, 200);
    let patch = json!({"status": "succeeded"});
    assert_injected(
        &api.patch_json(&format!("/invocations/{id}"), &patch).await,
        502,
    );
    assert_eq!(
        api.invocation(&id).await["status"],
        "running",
        "the update never ran"
    );

    // Path prefix: "/invocations/" does not match "/invocations".
    emulator
        .fault(FaultSpec {
            path: Some("/invocations/".into()),
            status: Some(504),
            times: Some(2),
            ..FaultSpec::default()
        })
        .unwrap();
    assert_eq!(api.get("/invocations").await.status, 200);
    assert_injected(&api.get(&format!("/invocations/{id}")).await, 504);
    assert_injected(&api.get(&format!("/invocations/{id}/browsers")).await, 504);
    assert_eq!(api.get(&format!("/invocations/{id}")).await.status, 200);

    // Method and path together.
    emulator
        .fault(FaultSpec {
            method: Some("GET".into()),
            path: Some(format!("/invocations/{id}/events")),
            status: Some(429),
            ..FaultSpec::default()
        })
        .unwrap();
    assert_eq!(api.get(&format!("/invocations/{id}")).await.status, 200);
    assert_eq!(
        api.patch_json(&format!("/invocations/{id}"), &patch)
            .await
            .status,
        200,
        "PATCH does not match a GET fault"
    );
    assert_injected(&api.get(&format!("/invocations/{id}/events")).await, 429);

    // The first added matching fault fires first.
    for status in [500, 501, 503] {
        emulator
            .fault(FaultSpec {
                status: Some(status),
                ..FaultSpec::default()
            })
            .unwrap();
    }
    assert_injected(&api.get("/invocations").await, 500);
    assert_injected(&api.get("/invocations").await, 501);
    assert_injected(&api.get("/invocations").await, 503);
    assert_eq!(api.get("/invocations").await.status, 200);

    // A fault applies before authentication.
    emulator
        .fault(FaultSpec {
            status: Some(503),
            ..FaultSpec::default()
        })
        .unwrap();
    let answer = api
        .send_as(None, Method::GET, "/invocations", None)
        .await
        .unwrap();
    assert_injected(&answer, 503);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delay_fault_waits_then_answers_normally() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let id = api.create("app", "act", "1", false).await;
    emulator
        .fault(FaultSpec {
            delay_ms: Some(300),
            ..FaultSpec::default()
        })
        .unwrap();
    let began = Instant::now();
    let answer = api.get(&format!("/invocations/{id}")).await;
    let waited = began.elapsed();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["id"], id.as_str());
    assert!(waited >= Duration::from_millis(300), "waited {waited:?}");
    let began = Instant::now();
    assert_eq!(api.get(&format!("/invocations/{id}")).await.status, 200);
    assert!(
        began.elapsed() < Duration::from_millis(250),
        "the delay fired only once"
    );

    // A delayed update still applies.
    emulator
        .fault(FaultSpec {
            delay_ms: Some(150),
            method: Some("PATCH".into()),
            ..FaultSpec::default()
        })
        .unwrap();
    let began = Instant::now();
    let answer = api
        .patch_json(&format!("/invocations/{id}"), &json!({"status": "failed"}))
        .await;
    assert!(began.elapsed() >= Duration::from_millis(150));
    assert_eq!(answer.status, 200);
    assert_eq!(api.invocation(&id).await["status"], "failed");

    // Delay and status: waits, then gives the status.
    emulator
        .fault(FaultSpec {
            delay_ms: Some(150),
            status: Some(500),
            ..FaultSpec::default()
        })
        .unwrap();
    let began = Instant::now();
    assert_injected(&api.get("/invocations").await, 500);
    assert!(began.elapsed() >= Duration::from_millis(150));
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drop_fault_closes_the_connection_without_answering() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    emulator
        .fault(FaultSpec {
            drop: Some(true),
            times: Some(2),
            ..FaultSpec::default()
        })
        .unwrap();
    // Raw socket: EOF (or a reset) and not a single byte of answer.
    let received = raw_exchange(emulator.address(), &raw_get("/invocations", "")).await;
    match received {
        Ok(bytes) => assert!(bytes.is_empty(), "{:?}", String::from_utf8_lossy(&bytes)),
        Err(err) => assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}"),
    }
    // reqwest: an error, no response; the create never happened.
    let body = json!({"app_name": "a", "action_name": "b", "version": "1"});
    let error = within(
        "dropped request",
        api.send_as(
            Some(&format!("Bearer {KEY}")),
            Method::POST,
            "/invocations",
            Some(body.to_string().into_bytes()),
        ),
    )
    .await
    .expect_err("the connection is dropped");
    assert!(error.status().is_none(), "{error:?}");
    assert_eq!(emulator.store().len(), 0);
    // Used up: normal again.
    assert_eq!(api.post_json("/invocations", &body).await.status, 200);
    assert_eq!(emulator.store().len(), 1);

    // drop with a status: the drop wins.
    emulator
        .fault(FaultSpec {
            drop: Some(true),
            status: Some(500),
            ..FaultSpec::default()
        })
        .unwrap();
    let received = raw_exchange(emulator.address(), &raw_get("/invocations", "")).await;
    assert!(received.map_or(true, |bytes| bytes.is_empty()));
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drop_fault_on_a_kept_alive_connection() {
    // The first request on a connection is answered, the second one is dropped: the socket
    // closes without a second answer.
    let emulator = start().await;
    let socket = tokio::net::TcpStream::connect(emulator.address())
        .await
        .unwrap();
    let (mut reader, mut writer) = socket.into_split();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request =
        format!("GET /invocations HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer {KEY}\r\n\r\n");
    writer.write_all(request.as_bytes()).await.unwrap();
    let mut first = Vec::new();
    let mut chunk = [0u8; 4096];
    while !first.ends_with(b"\r\n\r\n[]") {
        let n = within("first answer", reader.read(&mut chunk))
            .await
            .unwrap();
        assert!(n > 0, "EOF before the first answer");
        first.extend_from_slice(&chunk[..n]);
    }
    let text = String::from_utf8_lossy(&first).to_string();
    assert!(text.starts_with("HTTP/1.1 200 "), "{text}");
    emulator
        .fault(FaultSpec {
            drop: Some(true),
            ..FaultSpec::default()
        })
        .unwrap();
    writer.write_all(request.as_bytes()).await.unwrap();
    let mut rest = Vec::new();
    let read = within("EOF", reader.read_to_end(&mut rest)).await;
    assert!(
        read.is_err() || rest.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&rest)
    );
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_over_http_take_camel_case_specs() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let id = api.create("app", "act", "1", false).await;

    let added = add_fault(
        &api,
        json!({"method": "GET", "path": "/invocations", "status": 429,
               "headers": {"Retry-After": "2"}, "times": 2}),
    )
    .await;
    assert_eq!(added.status, 204);
    assert!(added.body.is_empty());
    for _ in 0..2 {
        let answer = api.get(&format!("/invocations/{id}")).await;
        assert_injected(&answer, 429);
        assert_eq!(answer.header("retry-after"), Some("2"));
    }
    assert_eq!(api.get(&format!("/invocations/{id}")).await.status, 200);

    assert_eq!(
        add_fault(&api, json!({"status": 418, "body": {"custom": true}}))
            .await
            .status,
        204
    );
    let answer = api.get("/invocations").await;
    assert_eq!(answer.status, 418);
    assert_eq!(answer.json(), json!({"custom": true}));

    assert_eq!(add_fault(&api, json!({"delayMs": 200})).await.status, 204);
    let began = Instant::now();
    assert_eq!(api.get("/invocations").await.status, 200);
    assert!(began.elapsed() >= Duration::from_millis(200));

    assert_eq!(
        add_fault(&api, json!({"drop": true, "method": "DELETE"}))
            .await
            .status,
        204
    );
    let result = within(
        "dropped DELETE",
        api.send_as(
            Some(&format!("Bearer {KEY}")),
            Method::DELETE,
            &format!("/invocations/{id}/browsers"),
            None,
        ),
    )
    .await;
    assert!(result.is_err(), "{result:?}");
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_fault_specs_are_refused() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let invalid = [
        json!({}),
        json!({"times": 3}),
        json!({"method": "GET"}),
        json!({"drop": false}),
        json!({"status": 99}),
        json!({"status": 199}),
        json!({"status": 600}),
        json!({"status": 70000}),
        json!({"status": -1}),
        json!({"status": "500"}),
        json!({"status": 500, "times": 0}),
        json!({"status": 500, "times": -1}),
        json!({"status": 500, "headers": {"bad name": "x"}}),
        json!({"status": 500, "headers": {"x-ok": "line\nbreak"}}),
        json!({"status": 500, "headers": {"x-n": 1}}),
        json!({"status": 500, "unknown": 1}),
        json!({"delay_ms": 100}),
        json!({"delayMs": -5}),
        json!({"delayMs": "100"}),
        json!({"statusCode": 500}),
        json!([{"status": 500}]),
        json!("status"),
    ];
    for spec in &invalid {
        let answer = add_fault(&api, spec.clone()).await;
        answer.assert_error(400, "bad_request");
    }
    for body in [&b""[..], b"not json", b"{\"status\":"] {
        let answer = api
            .send_as(None, Method::POST, "/_emulator/faults", Some(body.to_vec()))
            .await
            .unwrap();
        answer.assert_error(400, "bad_request");
    }

    let refused = [
        FaultSpec::default(),
        FaultSpec {
            drop: Some(false),
            ..FaultSpec::default()
        },
        FaultSpec {
            status: Some(600),
            ..FaultSpec::default()
        },
        FaultSpec {
            status: Some(100),
            ..FaultSpec::default()
        },
        FaultSpec {
            status: Some(500),
            times: Some(0),
            ..FaultSpec::default()
        },
        FaultSpec {
            status: Some(500),
            headers: Some(HashMap::from([("a b".to_owned(), "x".to_owned())])),
            ..FaultSpec::default()
        },
    ];
    for spec in refused {
        assert!(emulator.fault(spec.clone()).is_err(), "{spec:?} refused");
    }
    // None of them was kept.
    for _ in 0..3 {
        assert_eq!(api.get("/invocations").await.status, 200);
    }
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn clearing_faults_removes_pending_ones_and_control_routes_are_never_faulted() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    emulator
        .fault(FaultSpec {
            status: Some(500),
            times: Some(100),
            ..FaultSpec::default()
        })
        .unwrap();
    // The control routes are exempt, so the fault is still pending after this.
    assert_eq!(add_fault(&api, json!({"drop": true})).await.status, 204);
    assert_injected(&api.get("/invocations").await, 500);
    clear_faults(&api).await;
    for _ in 0..3 {
        assert_eq!(api.get("/invocations").await.status, 200);
    }
    // Clearing with nothing pending is fine too.
    clear_faults(&api).await;
    emulator.close().await;
}
