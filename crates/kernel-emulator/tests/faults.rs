//! Fault injection, set up from Rust (`Emulator::fault`) and over HTTP (`/_emulator/faults`).

mod common;

use std::collections::{HashMap, HashSet};
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

    // drop with a status contradicts itself: refused, and nothing changes.
    assert!(emulator
        .fault(FaultSpec {
            drop: Some(true),
            status: Some(500),
            ..FaultSpec::default()
        })
        .is_err());
    assert_eq!(api.post_json("/invocations", &body).await.status, 200);
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

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_one_fault_fires_for_every_matching_request_until_cleared() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    // With a rate, `times` defaults to unlimited instead of 1.
    emulator
        .fault(FaultSpec {
            status: Some(503),
            rate: Some(1.0),
            ..FaultSpec::default()
        })
        .unwrap();
    for i in 1..=30 {
        assert_injected(&api.get("/invocations").await, 503);
        assert_eq!(emulator.faults_fired(), i);
    }
    assert_stats(&api.stats().await, 30, 0, 30, 0);
    clear_faults(&api).await;
    assert_eq!(api.get("/invocations").await.status, 200);
    assert_eq!(
        emulator.faults_fired(),
        30,
        "a cleared fault no longer fires"
    );

    // Over HTTP, with a method: only matching requests fire, and count.
    let added = add_fault(
        &api,
        json!({"method": "POST", "status": 429, "rate": 1, "headers": {"Retry-After": "1"}}),
    )
    .await;
    assert_eq!(added.status, 204);
    let body = json!({"app_name": "a", "action_name": "b", "version": "1"});
    for _ in 0..5 {
        assert_eq!(api.get("/invocations").await.status, 200);
        let answer = api.post_json("/invocations", &body).await;
        assert_injected(&answer, 429);
        assert_eq!(answer.header("retry-after"), Some("1"));
    }
    assert_eq!(emulator.store().len(), 0, "no faulted create was applied");
    assert_stats(&api.stats().await, 41, 0, 35, 0);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_half_rate_fault_fires_for_about_half_the_requests() {
    const N: u64 = 400;
    let emulator = start().await;
    let api = Api::new(&emulator);
    assert_eq!(
        add_fault(&api, json!({"status": 503, "rate": 0.5}))
            .await
            .status,
        204
    );
    let mut faulted = 0;
    for _ in 0..N {
        let answer = api.get("/invocations").await;
        match answer.status.as_u16() {
            503 => {
                assert_injected(&answer, 503);
                faulted += 1;
            }
            200 => assert_eq!(answer.json(), json!([])),
            other => panic!("unexpected {other}"),
        }
    }
    // Binomial(400, 0.5): mean 200, standard deviation 10; 120..=280 is 8 deviations each way.
    assert!((120..=280).contains(&faulted), "{faulted} of {N} faulted");
    assert_eq!(emulator.faults_fired(), faulted);
    assert_stats(&api.stats().await, N, 0, faulted, 0);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn times_caps_a_rate_fault() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    emulator
        .fault(FaultSpec {
            status: Some(500),
            rate: Some(1.0),
            times: Some(3),
            ..FaultSpec::default()
        })
        .unwrap();
    for _ in 0..3 {
        assert_injected(&api.get("/invocations").await, 500);
    }
    for _ in 0..5 {
        assert_eq!(api.get("/invocations").await.status, 200);
    }
    assert_eq!(emulator.faults_fired(), 3);

    // A random one too: 200 requests at rate 0.5 fire it 5 times and no more (fewer than
    // 5 firings in 200 has a probability below 1e-50).
    assert_eq!(
        add_fault(&api, json!({"status": 502, "rate": 0.5, "times": 5}))
            .await
            .status,
        204
    );
    let mut faulted = 0;
    for _ in 0..200 {
        if api.get("/invocations").await.status == 502 {
            faulted += 1;
        }
    }
    assert_eq!(faulted, 5);
    assert_eq!(emulator.faults_fired(), 8);
    assert_stats(&api.stats().await, 208, 0, 8, 0);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_fault_that_does_not_fire_lets_the_next_matching_fault_fire() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    // Practically never fires, and stays pending.
    emulator
        .fault(FaultSpec {
            status: Some(418),
            rate: Some(1e-12),
            ..FaultSpec::default()
        })
        .unwrap();
    emulator
        .fault(FaultSpec {
            status: Some(504),
            times: Some(2),
            ..FaultSpec::default()
        })
        .unwrap();
    assert_injected(&api.get("/invocations").await, 504);
    assert_injected(&api.get("/invocations").await, 504);
    for _ in 0..10 {
        assert_eq!(api.get("/invocations").await.status, 200);
    }
    assert_eq!(emulator.faults_fired(), 2);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_rates_and_drop_after_combinations_are_refused() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let invalid = [
        json!({"status": 503, "rate": 0}),
        json!({"status": 503, "rate": 0.0}),
        json!({"status": 503, "rate": -0.5}),
        json!({"status": 503, "rate": -1}),
        json!({"status": 503, "rate": 1.5}),
        json!({"status": 503, "rate": 1.000001}),
        json!({"status": 503, "rate": 2}),
        json!({"status": 503, "rate": "0.5"}),
        json!({"status": 503, "rate": "NaN"}),
        json!({"status": 503, "rate": true}),
        json!({"status": 503, "rate": 0.5, "times": 0}),
        json!({"rate": 0.5}),
        json!({"rate": 0.5, "times": 3}),
        json!({"dropAfter": false}),
        json!({"drop_after": true}),
        json!({"dropAfter": "true"}),
        json!({"drop": true, "dropAfter": true}),
        json!({"status": 500, "dropAfter": true}),
        json!({"status": 500, "drop": true}),
        json!({"status": 500, "drop": true, "dropAfter": true}),
        json!({"status": 500, "dropAfter": true, "rate": 0.5}),
        json!({"drop": true, "dropAfter": true, "delayMs": 10}),
    ];
    for spec in &invalid {
        let answer = add_fault(&api, spec.clone()).await;
        assert_eq!(answer.status, 400, "{spec} refused");
        answer.assert_error(400, "bad_request");
    }
    // JSON has no NaN or infinity: those bodies are not JSON at all.
    for body in [
        &b"{\"status\":503,\"rate\":NaN}"[..],
        b"{\"status\":503,\"rate\":Infinity}",
        b"{\"status\":503,\"rate\":1e400}",
    ] {
        let answer = api
            .send_as(None, Method::POST, "/_emulator/faults", Some(body.to_vec()))
            .await
            .unwrap();
        answer.assert_error(400, "bad_request");
    }

    // From Rust, where NaN and infinities can be written.
    let with_rate = |rate: f64| FaultSpec {
        status: Some(503),
        rate: Some(rate),
        ..FaultSpec::default()
    };
    for rate in [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        -f64::MIN_POSITIVE,
        1.0 + f64::EPSILON,
    ] {
        let refused = emulator.fault(with_rate(rate));
        assert!(refused.is_err(), "rate {rate} refused");
        assert!(refused.unwrap_err().to_string().contains("rate"));
    }
    let exclusive = [
        FaultSpec {
            drop: Some(true),
            drop_after: Some(true),
            ..FaultSpec::default()
        },
        FaultSpec {
            status: Some(503),
            drop_after: Some(true),
            ..FaultSpec::default()
        },
        FaultSpec {
            status: Some(503),
            drop: Some(true),
            ..FaultSpec::default()
        },
    ];
    for spec in exclusive {
        let refused = emulator.fault(spec.clone());
        assert!(
            refused.as_ref().is_err_and(|err| err.0.contains("exclude")),
            "{spec:?}: {refused:?}"
        );
    }

    // Nothing refused was kept.
    for _ in 0..5 {
        assert_eq!(api.get("/invocations").await.status, 200);
    }
    assert_eq!(emulator.faults_fired(), 0);

    // The edges that are fine: rate 1, a tiny rate, a false flag beside a true one, a delay
    // before a lost answer.
    let valid = [
        json!({"status": 503, "rate": 1, "path": "/none-1"}),
        json!({"status": 503, "rate": 1e-9, "path": "/none-2"}),
        json!({"drop": false, "dropAfter": true, "path": "/none-3"}),
        json!({"drop": true, "dropAfter": false, "path": "/none-4"}),
        json!({"status": 500, "dropAfter": false, "drop": false, "path": "/none-5"}),
        json!({"dropAfter": true, "delayMs": 10, "rate": 0.5, "times": 2, "path": "/none-6"}),
    ];
    for spec in &valid {
        assert_eq!(add_fault(&api, spec.clone()).await.status, 204, "{spec}");
    }
    assert_eq!(api.get("/invocations").await.status, 200);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drop_after_update_is_applied_though_the_answer_is_lost() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let id = api.create("app", "act", "1", false).await;
    emulator
        .fault(FaultSpec {
            method: Some("PATCH".into()),
            drop_after: Some(true),
            ..FaultSpec::default()
        })
        .unwrap();
    // GETs do not match it.
    assert_eq!(api.invocation(&id).await["status"], "running");
    let lost = within(
        "PATCH whose answer is lost",
        api.send_as(
            Some(&format!("Bearer {KEY}")),
            Method::PATCH,
            &format!("/invocations/{id}"),
            Some(
                json!({"status": "succeeded", "output": "done"})
                    .to_string()
                    .into_bytes(),
            ),
        ),
    )
    .await;
    let error = lost.expect_err("the client gets no answer");
    assert!(error.status().is_none(), "{error:?}");

    // Yet the update was applied.
    let invocation = api.invocation(&id).await;
    assert_eq!(invocation["status"], "succeeded");
    assert_eq!(invocation["output"], "done");
    assert_timestamp(&invocation["finished_at"]);
    let journal = emulator.journal();
    assert_eq!(journal.len(), 2);
    assert_eq!(journal[1].method, "PATCH");
    assert_eq!(journal[1].invocation_id.as_deref(), Some(id.as_str()));
    assert_eq!(journal[1].invocation_status.as_deref(), Some("succeeded"));
    assert_eq!(emulator.faults_fired(), 1);
    // Used up: the next PATCH is answered.
    let again = api
        .patch_json(
            &format!("/invocations/{id}"),
            &json!({"status": "succeeded"}),
        )
        .await;
    assert_eq!(again.status, 200);
    assert_stats(&api.stats().await, 5, 1, 1, 0);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drop_after_create_is_applied_though_the_answer_is_lost() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    assert_eq!(
        add_fault(
            &api,
            json!({"method": "POST", "path": "/invocations", "dropAfter": true, "delayMs": 100})
        )
        .await
        .status,
        204
    );
    // A raw socket sees the connection close without a single byte of answer.
    let body = json!({"app_name": "a", "action_name": "b", "version": "1"}).to_string();
    let request = format!(
        "POST /invocations HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer {KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let began = Instant::now();
    match raw_exchange(emulator.address(), request.as_bytes()).await {
        Ok(bytes) => assert!(bytes.is_empty(), "{:?}", String::from_utf8_lossy(&bytes)),
        Err(err) => assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}"),
    }
    assert!(
        began.elapsed() >= Duration::from_millis(100),
        "the delay came first"
    );

    // The invocation exists, and the journal names it.
    assert_eq!(emulator.store().len(), 1);
    let (items, _, _) = api.list("").await;
    assert_eq!(items.len(), 1);
    let journal = emulator.journal();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].seq, 1);
    assert_eq!(journal[0].method, "POST");
    assert_eq!(journal[0].status, 200);
    assert_eq!(journal[0].idempotency_key, None);
    assert_eq!(
        journal[0].invocation_id,
        items[0]["id"].as_str().map(String::from)
    );
    assert_eq!(journal[0].invocation_status.as_deref(), Some("running"));
    assert_eq!(emulator.faults_fired(), 1);
    assert_stats(&api.stats().await, 2, 1, 1, 0);

    // A drop (not dropAfter) still applies nothing.
    assert_eq!(
        add_fault(&api, json!({"method": "POST", "drop": true}))
            .await
            .status,
        204
    );
    let dropped = raw_exchange(emulator.address(), request.as_bytes()).await;
    assert!(dropped.map_or(true, |bytes| bytes.is_empty()));
    assert_eq!(emulator.store().len(), 1);
    assert_eq!(emulator.journal().len(), 1);
    assert_eq!(emulator.faults_fired(), 2);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_random_drop_after_fault_loses_answers_but_no_update() {
    // Every create either answers or is lost after being applied: the store holds exactly the
    // answered ones plus one per lost answer, and the fired count matches the lost answers.
    const N: usize = 100;
    let emulator = start().await;
    let api = Api::new(&emulator);
    emulator
        .fault(FaultSpec {
            method: Some("POST".into()),
            drop_after: Some(true),
            rate: Some(0.3),
            ..FaultSpec::default()
        })
        .unwrap();
    let body = json!({"app_name": "a", "action_name": "b", "version": "1"});
    let (mut answered, mut lost) = (HashSet::new(), 0u64);
    for _ in 0..N {
        let result = within(
            "POST",
            api.send_as(
                Some(&format!("Bearer {KEY}")),
                Method::POST,
                "/invocations",
                Some(body.to_string().into_bytes()),
            ),
        )
        .await;
        match result {
            Ok(answer) => {
                assert_eq!(answer.status, 200);
                answered.insert(answer.json()["id"].as_str().unwrap().to_owned());
            }
            Err(err) => {
                assert!(err.status().is_none(), "{err:?}");
                lost += 1;
            }
        }
    }
    assert!((5..=60).contains(&lost), "{lost} of {N} lost");
    assert_eq!(emulator.faults_fired(), lost);
    assert_eq!(emulator.store().len(), N, "every create was applied");
    let journal = emulator.journal();
    assert_eq!(journal.len(), N);
    let journalled: HashSet<String> = journal
        .iter()
        .map(|e| e.invocation_id.clone().unwrap())
        .collect();
    assert_eq!(journalled.len(), N);
    assert!(answered.is_subset(&journalled));
    assert_stats(&api.stats().await, N as u64, N as u64, lost, 0);
    emulator.close().await;
}
