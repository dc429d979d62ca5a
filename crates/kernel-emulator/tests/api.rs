//! The invocations endpoints over real HTTP: authentication, create, retrieve, update, list and
//! the browsers sub-resource.

mod common;

use std::collections::HashSet;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

fn keys(value: &Value) -> HashSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

fn set(names: &[&str]) -> HashSet<String> {
    names.iter().map(|n| n.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Authentication

#[tokio::test(flavor = "multi_thread")]
async fn every_invocations_route_requires_the_bearer_key() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let id = api.create("app", "act", "1", false).await;
    let create_body = json!({"app_name": "a", "action_name": "b", "version": "1"})
        .to_string()
        .into_bytes();
    let patch_body = json!({"status": "succeeded"}).to_string().into_bytes();
    let routes: Vec<(Method, String, Option<Vec<u8>>)> = vec![
        (
            Method::POST,
            "/invocations".into(),
            Some(create_body.clone()),
        ),
        (Method::GET, "/invocations".into(), None),
        (Method::GET, format!("/invocations/{id}"), None),
        (
            Method::PATCH,
            format!("/invocations/{id}"),
            Some(patch_body.clone()),
        ),
        (Method::GET, format!("/invocations/{id}/events"), None),
        (Method::GET, format!("/invocations/{id}/browsers"), None),
        (Method::DELETE, format!("/invocations/{id}/browsers"), None),
        // Authentication comes before the lookup: an unknown id is still 401.
        (Method::GET, "/invocations/nope".into(), None),
        (
            Method::PATCH,
            "/invocations/nope".into(),
            Some(patch_body.clone()),
        ),
    ];
    let wrong = [
        None,
        Some("Bearer wrong-key".to_owned()),
        Some("Bearer ".to_owned()),
        Some("Bearer test-ke".to_owned()),
        Some("Bearer test-key2".to_owned()),
        Some(format!("Basic {KEY}")),
        Some(KEY.to_owned()),
        Some(format!("Bearer  {KEY}")),
    ];
    for (method, path, body) in &routes {
        for auth in &wrong {
            let answer = within(
                "unauthenticated request",
                api.send_as(auth.as_deref(), method.clone(), path, body.clone()),
            )
            .await
            .unwrap();
            answer.assert_error(401, "unauthorized");
        }
    }
    // Nothing was created or changed by the refused requests.
    assert_eq!(emulator.store().len(), 1);
    assert_eq!(api.invocation(&id).await["status"], "running");

    // The right key works on every route.
    let bearer = format!("Bearer {KEY}");
    let ok = |m: Method, p: String, b: Option<Vec<u8>>| {
        let api = api.clone();
        let bearer = bearer.clone();
        async move {
            within(
                "authenticated request",
                api.send_as(Some(&bearer), m, &p, b),
            )
            .await
            .unwrap()
            .status
            .as_u16()
        }
    };
    assert_eq!(
        ok(Method::POST, "/invocations".into(), Some(create_body)).await,
        200
    );
    assert_eq!(ok(Method::GET, "/invocations".into(), None).await, 200);
    // The scheme name is case-insensitive (RFC 9110).
    for scheme in ["bearer", "BEARER"] {
        let answer = within(
            "lower/upper-case scheme",
            api.send_as(
                Some(&format!("{scheme} {KEY}")),
                Method::GET,
                "/invocations",
                None,
            ),
        )
        .await
        .unwrap();
        assert_eq!(answer.status.as_u16(), 200, "{scheme}");
    }
    assert_eq!(
        ok(Method::GET, format!("/invocations/{id}"), None).await,
        200
    );
    assert_eq!(
        ok(Method::GET, format!("/invocations/{id}/browsers"), None).await,
        200
    );
    assert_eq!(
        ok(Method::DELETE, format!("/invocations/{id}/browsers"), None).await,
        204
    );
    assert_eq!(
        ok(
            Method::PATCH,
            format!("/invocations/{id}"),
            Some(patch_body)
        )
        .await,
        200
    );
    // Terminal now, so the stream gives one event and ends.
    assert_eq!(
        ok(Method::GET, format!("/invocations/{id}/events"), None).await,
        200
    );
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fault_control_routes_need_no_key() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let spec = json!({"status": 503}).to_string().into_bytes();
    let added = api
        .send_as(None, Method::POST, "/_emulator/faults", Some(spec))
        .await
        .unwrap();
    assert_eq!(added.status, 204);
    let cleared = api
        .send_as(None, Method::DELETE, "/_emulator/faults", None)
        .await
        .unwrap();
    assert_eq!(cleared.status, 204);
    // The fault was cleared, so a normal request is answered normally.
    assert_eq!(api.get("/invocations").await.status, 200);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_random_key_is_made_when_none_or_an_empty_one_is_given() {
    for api_key in [None, Some(String::new())] {
        let emulator = start_with(kernel_emulator::EmulatorConfig {
            api_key,
            ..Default::default()
        })
        .await;
        let key = emulator.api_key().to_owned();
        assert!(key.starts_with("emu_") && key.len() > 20, "{key:?}");
        let api = Api::new(&emulator);
        assert_eq!(api.get("/invocations").await.status, 200);
        let empty = api
            .send_as(Some("Bearer "), Method::GET, "/invocations", None)
            .await
            .unwrap();
        empty.assert_error(401, "unauthorized");
        emulator.close().await;
    }
}

// ---------------------------------------------------------------------------------------------
// POST /invocations

#[tokio::test(flavor = "multi_thread")]
async fn create_answers_id_action_and_status() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    // (body, status of the invocation, HTTP status: 202 for an async create, else 200)
    let cases = [
        (
            json!({"app_name": "a", "action_name": "sync", "version": "1"}),
            "running",
            200,
        ),
        (
            json!({"app_name": "a", "action_name": "sync", "version": "1", "async": false}),
            "running",
            200,
        ),
        (
            json!({"app_name": "a", "action_name": "sync", "version": "1", "async": null}),
            "running",
            200,
        ),
        (
            json!({"app_name": "a", "action_name": "bg", "version": "1", "async": true}),
            "queued",
            202,
        ),
        (
            json!({"app_name": "a", "action_name": "bg", "version": "1", "async": true,
                   "async_timeout_seconds": 30, "payload": "{\"x\":1}"}),
            "queued",
            202,
        ),
        (
            json!({"app_name": "a", "action_name": "bg", "version": "1", "async": true,
                   "async_timeout_seconds": 10}),
            "queued",
            202,
        ),
        (
            json!({"app_name": "a", "action_name": "bg", "version": "1", "async": true,
                   "async_timeout_seconds": 3600}),
            "queued",
            202,
        ),
        (
            json!({"app_name": "a", "action_name": "p", "version": "1", "payload": ""}),
            "running",
            200,
        ),
    ];
    let mut ids = HashSet::new();
    let count = cases.len();
    for (body, status, http_status) in cases {
        let answer = api.post_json("/invocations", &body).await;
        assert_eq!(answer.status, http_status, "{body}");
        assert!(answer
            .header("content-type")
            .is_some_and(|v| v.starts_with("application/json")));
        let created = answer.json();
        assert_eq!(
            keys(&created),
            set(&["id", "action_name", "status"]),
            "{created}"
        );
        assert_eq!(created["status"], status, "{body}");
        assert_eq!(created["action_name"], body["action_name"]);
        let id = created["id"].as_str().unwrap();
        assert_api_id(id);
        assert!(ids.insert(id.to_owned()), "ids are unique");
        // What was created is what is retrieved.
        let stored = api.invocation(id).await;
        assert_eq!(stored["status"], status);
        assert_eq!(stored["app_name"], body["app_name"]);
        assert_eq!(stored["version"], body["version"]);
        match body.get("payload") {
            Some(payload) => assert_eq!(&stored["payload"], payload),
            None => assert!(stored.get("payload").is_none(), "{stored}"),
        }
    }
    assert_eq!(emulator.store().len(), count);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn create_refuses_invalid_bodies() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let valid = json!({"app_name": "a", "action_name": "b", "version": "1"});
    let mut bodies: Vec<Value> = Vec::new();
    for field in ["app_name", "action_name", "version"] {
        let mut missing = valid.clone();
        missing.as_object_mut().unwrap().remove(field);
        bodies.push(missing);
        for bad in [
            json!(""),
            json!(1),
            json!(null),
            json!(true),
            json!(["x"]),
            json!({"x": 1}),
        ] {
            let mut body = valid.clone();
            body[field] = bad;
            bodies.push(body);
        }
    }
    for bad in [json!(1), json!({"x": 1}), json!(["x"]), json!(true)] {
        let mut body = valid.clone();
        body["payload"] = bad;
        bodies.push(body);
    }
    for bad in [json!("true"), json!(1), json!({})] {
        let mut body = valid.clone();
        body["async"] = bad;
        bodies.push(body);
    }
    for bad in [
        json!(0),
        json!(-1),
        json!(9),
        json!(3601),
        json!(1.5),
        json!(30.0),
        json!("10"),
        json!(null),
    ] {
        let mut body = valid.clone();
        body["async_timeout_seconds"] = bad;
        bodies.push(body);
    }
    for unknown in ["appName", "status", "id", "output", ""] {
        let mut body = valid.clone();
        body[unknown] = json!("x");
        bodies.push(body);
    }
    bodies.push(json!({}));
    bodies.push(json!([]));
    bodies.push(json!("a string"));
    bodies.push(json!(null));
    for body in &bodies {
        api.post_json("/invocations", body)
            .await
            .assert_error(400, "bad_request");
    }
    let not_json: [&[u8]; 5] = [
        b"",
        b"not json",
        b"{\"app_name\": \"a\",",
        b"\xff\xfe",
        b"{} {}",
    ];
    for body in not_json {
        api.send(Method::POST, "/invocations", Some(body.to_vec()))
            .await
            .assert_error(400, "bad_request");
    }
    assert_eq!(
        emulator.store().len(),
        0,
        "no refused body created anything"
    );
    emulator.close().await;
}

// ---------------------------------------------------------------------------------------------
// GET /invocations/{id}

#[tokio::test(flavor = "multi_thread")]
async fn retrieve_gives_the_full_invocation() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let before = time::OffsetDateTime::now_utc();
    let answer = api
        .post_json(
            "/invocations",
            &json!({"app_name": "my-app", "action_name": "analyze", "version": "2.1",
                    "payload": "{\"url\":\"https://example.com\"}"}),
        )
        .await;
    let after = time::OffsetDateTime::now_utc();
    let id = answer.json()["id"].as_str().unwrap().to_owned();
    let answer = api.get(&format!("/invocations/{id}")).await;
    assert_eq!(answer.status, 200);
    let invocation = answer.json();
    assert_eq!(
        keys(&invocation),
        set(&[
            "id",
            "app_name",
            "action_name",
            "payload",
            "started_at",
            "finished_at",
            "status",
            "version"
        ]),
        "{invocation}"
    );
    assert_eq!(invocation["id"], id.as_str());
    assert_eq!(invocation["app_name"], "my-app");
    assert_eq!(invocation["action_name"], "analyze");
    assert_eq!(invocation["payload"], "{\"url\":\"https://example.com\"}");
    assert_eq!(invocation["version"], "2.1");
    assert_eq!(invocation["status"], "running");
    assert_eq!(invocation["finished_at"], Value::Null);
    let started = assert_timestamp(&invocation["started_at"]);
    assert!(
        before <= started && started <= after,
        "{started} not in [{before}, {after}]"
    );

    // Without a payload there is no payload field.
    let queued = api.create("my-app", "analyze", "2.1", true).await;
    let queued = api.invocation(&queued).await;
    assert_eq!(
        keys(&queued),
        set(&[
            "id",
            "app_name",
            "action_name",
            "started_at",
            "finished_at",
            "status",
            "version"
        ])
    );
    assert_eq!(queued["status"], "queued");

    for unknown in ["nope", "aaaaaaaaaaaaaaaaaaaaaaaa", &id.to_uppercase()] {
        let missing = api.get(&format!("/invocations/{unknown}")).await;
        missing.assert_error(404, "not_found");
    }
    emulator.close().await;
}

// ---------------------------------------------------------------------------------------------
// PATCH /invocations/{id}

#[tokio::test(flavor = "multi_thread")]
async fn update_moves_queued_or_running_to_a_terminal_status_once() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    for is_async in [false, true] {
        for (status, other) in [("succeeded", "failed"), ("failed", "succeeded")] {
            let id = api.create("app", "act", "1", is_async).await;
            let path = format!("/invocations/{id}");
            let started = api.invocation(&id).await["started_at"].clone();
            let answer = api
                .patch_json(&path, &json!({"status": status, "output": "{\"n\":1}"}))
                .await;
            assert_eq!(
                answer.status,
                200,
                "{}",
                String::from_utf8_lossy(&answer.body)
            );
            let done = answer.json();
            assert_eq!(done["status"], status);
            assert_eq!(done["id"], id.as_str());
            assert_eq!(done["output"], "{\"n\":1}");
            assert_eq!(done["started_at"], started, "started_at does not move");
            let finished = assert_timestamp(&done["finished_at"]);
            assert!(finished >= assert_timestamp(&started));
            let reason = done["status_reason"].as_str().expect("status_reason set");
            assert!(!reason.is_empty());
            assert_eq!(
                keys(&done),
                set(&[
                    "id",
                    "app_name",
                    "action_name",
                    "output",
                    "started_at",
                    "finished_at",
                    "status",
                    "status_reason",
                    "version"
                ])
            );
            // What the update answered is what is stored.
            assert_eq!(api.invocation(&id).await, done);

            // The same terminal status again: 200 and nothing changes, not even the output.
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            for repeat in [
                json!({"status": status}),
                json!({"status": status, "output": "other"}),
            ] {
                let again = api.patch_json(&path, &repeat).await;
                assert_eq!(again.status, 200);
                assert_eq!(again.json(), done, "a repeated update changes nothing");
            }

            // The other terminal status: 409 conflict, nothing changes.
            api.patch_json(&path, &json!({"status": other}))
                .await
                .assert_error(409, "conflict");
            api.patch_json(&path, &json!({"status": other, "output": "x"}))
                .await
                .assert_error(409, "conflict");
            assert_eq!(api.invocation(&id).await, done);
        }
    }

    // Without output there is no output field.
    let id = api.create("app", "act", "1", false).await;
    let done = api
        .patch_json(&format!("/invocations/{id}"), &json!({"status": "failed"}))
        .await
        .json();
    assert!(done.get("output").is_none(), "{done}");
    assert_eq!(done["status"], "failed");
    assert_timestamp(&done["finished_at"]);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn update_refuses_invalid_requests() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let id = api.create("app", "act", "1", false).await;
    let path = format!("/invocations/{id}");
    let before = api.invocation(&id).await;

    api.patch_json(
        "/invocations/aaaaaaaaaaaaaaaaaaaaaaaa",
        &json!({"status": "succeeded"}),
    )
    .await
    .assert_error(404, "not_found");
    let bad_bodies = [
        json!({}),
        json!({"output": "x"}),
        json!({"status": "running"}),
        json!({"status": "queued"}),
        json!({"status": "cancelled"}),
        json!({"status": "SUCCEEDED"}),
        json!({"status": ""}),
        json!({"status": null}),
        json!({"status": 1}),
        json!({"status": "succeeded", "output": 1}),
        json!({"status": "succeeded", "output": {"a": 1}}),
        json!({"status": "succeeded", "output": ["a"]}),
        json!({"status": "succeeded", "reason": "x"}),
        json!({"status": "succeeded", "status_reason": "x"}),
        json!(["succeeded"]),
        json!("succeeded"),
    ];
    for body in &bad_bodies {
        api.patch_json(&path, body)
            .await
            .assert_error(400, "bad_request");
    }
    let not_json: [&[u8]; 3] = [b"", b"status=succeeded", b"{\"status\":"];
    for body in not_json {
        api.send(Method::PATCH, &path, Some(body.to_vec()))
            .await
            .assert_error(400, "bad_request");
    }
    assert_eq!(
        api.invocation(&id).await,
        before,
        "refused updates change nothing"
    );
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn update_bodies_over_ten_mebibytes_are_refused_and_large_ones_are_kept() {
    let emulator = start().await;
    let api = Api::new(&emulator);

    // 9 MiB of output fits.
    let id = api.create("app", "act", "1", false).await;
    let big = "x".repeat(9 * 1024 * 1024);
    let answer = api
        .patch_json(
            &format!("/invocations/{id}"),
            &json!({"status": "succeeded", "output": big}),
        )
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        api.invocation(&id).await["output"].as_str().unwrap().len(),
        big.len()
    );

    // Exactly the limit fits too (output padded so the body is MAX_BODY_BYTES long).
    let id = api.create("app", "act", "1", false).await;
    let skeleton = json!({"status": "succeeded", "output": ""})
        .to_string()
        .len();
    let exact = json!({"status": "succeeded",
                       "output": "y".repeat(kernel_emulator::MAX_BODY_BYTES - skeleton)})
    .to_string();
    assert_eq!(exact.len(), kernel_emulator::MAX_BODY_BYTES);
    let answer = api
        .send(
            Method::PATCH,
            &format!("/invocations/{id}"),
            Some(exact.into_bytes()),
        )
        .await;
    assert_eq!(answer.status, 200);

    // One byte over, and ~10.5 MiB: 413 and the invocation stays running.
    let id = api.create("app", "act", "1", false).await;
    for extra in [1, 512 * 1024] {
        let body = json!({"status": "succeeded",
                          "output": "z".repeat(kernel_emulator::MAX_BODY_BYTES - skeleton + extra)})
        .to_string();
        let answer = api
            .send(
                Method::PATCH,
                &format!("/invocations/{id}"),
                Some(body.into_bytes()),
            )
            .await;
        answer.assert_error(413, "payload_too_large");
    }
    assert_eq!(api.invocation(&id).await["status"], "running");

    // The same limit holds for creates.
    let body = json!({"app_name": "a", "action_name": "b", "version": "1",
                      "payload": "p".repeat(kernel_emulator::MAX_BODY_BYTES + 512 * 1024)})
    .to_string();
    api.send(Method::POST, "/invocations", Some(body.into_bytes()))
        .await
        .assert_error(413, "payload_too_large");
    assert_eq!(emulator.store().len(), 3);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn oversize_bodies_get_413_over_a_raw_socket() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let id = api.create("app", "act", "1", false).await;
    let body = format!(
        "{{\"status\":\"succeeded\",\"output\":\"{}\"}}",
        "z".repeat(kernel_emulator::MAX_BODY_BYTES + 512 * 1024)
    );
    let head = format!(
        "PATCH /invocations/{id} HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer {KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let socket = tokio::net::TcpStream::connect(emulator.address())
        .await
        .unwrap();
    let (mut reader, mut writer) = socket.into_split();
    // Write in the background: the server may answer before it has read everything.
    let writing = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt;
        writer.write_all(head.as_bytes()).await?;
        writer.write_all(body.as_bytes()).await?;
        writer.flush().await?;
        Ok::<_, std::io::Error>(writer)
    });
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        use tokio::io::AsyncReadExt;
        match within("413 answer", reader.read(&mut chunk)).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                received.extend_from_slice(&chunk[..n]);
                if let Some(end) = find(&received, b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&received[..end]).to_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map(|v| v.trim().parse().unwrap())
                        .unwrap_or(0);
                    if received.len() >= end + 4 + length {
                        break;
                    }
                }
            }
        }
    }
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 413 "), "{text}");
    assert!(text.contains("payload_too_large"), "{text}");
    let _ = writing.await;
    assert_eq!(api.invocation(&id).await["status"], "running");
    emulator.close().await;
}

// ---------------------------------------------------------------------------------------------
// GET /invocations

#[tokio::test(flavor = "multi_thread")]
async fn list_is_newest_first_and_filters() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    // (app, action, version, async)
    let plan = [
        ("alpha", "build", "1", false),
        ("beta", "deploy", "2", true),
        ("alpha", "deploy", "2", false),
        ("gamma", "build", "1", true),
        ("beta", "build", "3", false),
        ("alpha", "build", "3", false),
    ];
    let mut ids = Vec::new();
    for (app, action, version, is_async) in plan {
        ids.push(api.create(app, action, version, is_async).await);
        // Distinct start times, so `since` can split them.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    let pick = |indexes: &[usize]| -> Vec<String> {
        let mut picked: Vec<usize> = indexes.to_vec();
        picked.sort_unstable_by(|a, b| b.cmp(a));
        picked.iter().map(|&i| ids[i].clone()).collect()
    };

    let (items, has_more, next) = api.list("").await;
    assert_eq!(
        items
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        newest_first
    );
    assert!(!has_more);
    assert_eq!(next, 0);
    // The items are full invocations.
    for item in &items {
        assert_eq!(item, &api.invocation(item["id"].as_str().unwrap()).await);
    }

    api.patch_json(
        &format!("/invocations/{}", ids[0]),
        &json!({"status": "succeeded"}),
    )
    .await;
    api.patch_json(
        &format!("/invocations/{}", ids[3]),
        &json!({"status": "failed"}),
    )
    .await;
    api.patch_json(
        &format!("/invocations/{}", ids[4]),
        &json!({"status": "succeeded"}),
    )
    .await;

    assert_eq!(api.list_ids("app_name=alpha").await, pick(&[0, 2, 5]));
    assert_eq!(
        api.list_ids("app_name=alph").await,
        pick(&[]),
        "app_name is exact"
    );
    assert_eq!(api.list_ids("action_name=deploy").await, pick(&[1, 2]));
    assert_eq!(api.list_ids("version=3").await, pick(&[4, 5]));
    assert_eq!(api.list_ids("status=succeeded").await, pick(&[0, 4]));
    assert_eq!(api.list_ids("status=failed").await, pick(&[3]));
    assert_eq!(api.list_ids("status=queued").await, pick(&[1]));
    assert_eq!(api.list_ids("status=running").await, pick(&[2, 5]));
    assert_eq!(
        api.list_ids("app_name=alpha&action_name=build").await,
        pick(&[0, 5])
    );
    assert_eq!(
        api.list_ids("app_name=alpha&action_name=build&status=running")
            .await,
        pick(&[5])
    );
    assert_eq!(api.list_ids("app_name=beta&version=1").await, pick(&[]));
    // query matches part of the id, the app name or the action name.
    assert_eq!(
        api.list_ids(&format!("query={}", &ids[3][4..16])).await,
        pick(&[3])
    );
    assert_eq!(api.list_ids(&format!("query={}", ids[3])).await, pick(&[3]));
    assert_eq!(api.list_ids("query=amm").await, pick(&[3]));
    assert_eq!(api.list_ids("query=eplo").await, pick(&[1, 2]));
    assert_eq!(api.list_ids("query=zzzzzz-no-match").await, pick(&[]));
    // No emulated invocation belongs to a deployment.
    let (items, has_more, next) = api.list("deployment_id=dep_123").await;
    assert!(items.is_empty() && !has_more && next == 0);

    // since: an RFC 3339 time includes invocations started at or after it.
    let third_started = api.invocation(&ids[2]).await["started_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let since = third_started.replace(':', "%3A");
    assert_eq!(
        api.list_ids(&format!("since={since}")).await,
        pick(&[2, 3, 4, 5])
    );
    assert_eq!(
        api.list_ids(&format!("since={since}&app_name=alpha")).await,
        pick(&[2, 5])
    );
    assert_eq!(
        api.list_ids("since=2000-01-01T00%3A00%3A00Z").await,
        newest_first
    );
    assert_eq!(
        api.list_ids("since=2000-01-01T00%3A00%3A00%2B02%3A00")
            .await,
        newest_first,
        "offsets are accepted"
    );
    let future = (time::OffsetDateTime::now_utc() + time::Duration::hours(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
        .replace(':', "%3A");
    assert_eq!(api.list_ids(&format!("since={future}")).await, pick(&[]));
    // since: a duration back from now.
    assert_eq!(api.list_ids("since=5m").await, newest_first);
    assert_eq!(api.list_ids("since=1h30m").await, newest_first);
    tokio::time::sleep(std::time::Duration::from_millis(60)).await;
    assert_eq!(api.list_ids("since=50ms").await, pick(&[]));

    for bad in [
        "since=yesterday",
        "since=",
        "since=2024-13-01T00%3A00%3A00Z",
        "status=cancelled",
        "status=",
        "status=RUNNING",
        "unknown=1",
        "page=2",
        "appName=alpha",
    ] {
        api.get(&format!("/invocations?{bad}"))
            .await
            .assert_error(400, "bad_request");
    }
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn list_pages_with_limit_offset_and_headers() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    // 24 "walk" invocations interleaved with 11 others.
    let mut walk = Vec::new();
    let mut all = Vec::new();
    for i in 0..35 {
        let app = if i % 3 == 2 { "other" } else { "walk" };
        let id = api.create(app, "act", "1", false).await;
        if app == "walk" {
            walk.push(id.clone());
        }
        all.push(id);
    }
    assert_eq!(walk.len(), 24);
    walk.reverse();
    all.reverse();

    // Default limit 20.
    let (items, has_more, next) = api.list("").await;
    assert_eq!(items.len(), 20);
    assert!(has_more);
    assert_eq!(next, 20);
    let (items, has_more, next) = api.list("offset=20").await;
    assert_eq!(items.len(), 15);
    assert!(!has_more);
    assert_eq!(next, 0);
    // Limit 100 is allowed; a page that ends exactly at the last item has no more.
    let (items, has_more, _) = api.list("limit=100").await;
    assert_eq!(items.len(), 35);
    assert!(!has_more);
    let (items, has_more, next) = api.list("limit=35").await;
    assert_eq!(items.len(), 35);
    assert!(!has_more && next == 0);
    let (items, has_more, next) = api.list("limit=34").await;
    assert_eq!(items.len(), 34);
    assert!(has_more && next == 34);
    // Beyond the end: empty.
    let (items, has_more, next) = api.list("offset=35").await;
    assert!(items.is_empty() && !has_more && next == 0);
    let (items, has_more, next) = api.list("offset=1000&limit=5").await;
    assert!(items.is_empty() && !has_more && next == 0);

    // Walk the filtered list 7 at a time: 4 pages, every item once, newest first.
    let mut seen = Vec::new();
    let mut offset = 0;
    let mut pages = 0;
    loop {
        let (items, has_more, next) = api
            .list(&format!("app_name=walk&limit=7&offset={offset}"))
            .await;
        pages += 1;
        assert!(items.len() <= 7);
        seen.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_owned()));
        if !has_more {
            assert_eq!(next, 0, "X-Next-Offset is 0 on the last page");
            break;
        }
        assert_eq!(items.len(), 7, "only the last page is short");
        assert_eq!(
            next,
            offset + 7,
            "X-Next-Offset is the absolute offset of the next page"
        );
        offset = next;
        assert!(pages < 10, "the walk ends");
    }
    assert_eq!(pages, 4);
    assert_eq!(seen, walk);
    // The same walk starting mid-way.
    let (items, _, next) = api.list("app_name=walk&limit=5&offset=3").await;
    assert_eq!(
        items
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        walk[3..8]
    );
    assert_eq!(next, 8);
    // Unfiltered walk with an odd limit covers everything once.
    assert_eq!(api.walk_ids(6).await, all);

    for bad in [
        "limit=0",
        "limit=101",
        "limit=1000",
        "limit=-1",
        "limit=abc",
        "limit=",
        "limit=1.5",
        "offset=-1",
        "offset=x",
        "offset=",
    ] {
        api.get(&format!("/invocations?{bad}"))
            .await
            .assert_error(400, "bad_request");
    }
    emulator.close().await;
}

// ---------------------------------------------------------------------------------------------
// /invocations/{id}/browsers

#[tokio::test(flavor = "multi_thread")]
async fn browsers_are_always_empty_and_deleting_them_answers_204() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let id = api.create("app", "act", "1", false).await;
    let path = format!("/invocations/{id}/browsers");
    let listed = api.get(&path).await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.json(), json!({"browsers": []}));
    let deleted = api.send(Method::DELETE, &path, None).await;
    assert_eq!(deleted.status, 204);
    assert!(deleted.body.is_empty());
    // Over a raw socket: no body bytes at all after the head.
    let raw = raw_exchange(
        emulator.address(),
        format!(
            "DELETE {path} HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer {KEY}\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let text = String::from_utf8(raw).unwrap();
    assert!(text.starts_with("HTTP/1.1 204 "), "{text}");
    assert!(text.ends_with("\r\n\r\n"), "{text:?}");
    // Still there afterwards, and unchanged.
    assert_eq!(api.get(&path).await.json(), json!({"browsers": []}));
    assert_eq!(api.invocation(&id).await["status"], "running");

    for unknown in [
        "/invocations/nope/browsers",
        "/invocations/aaaaaaaaaaaaaaaaaaaaaaaa/browsers",
    ] {
        api.get(unknown).await.assert_error(404, "not_found");
        api.send(Method::DELETE, unknown, None)
            .await
            .assert_error(404, "not_found");
    }
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_are_404_json() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    api.get("/nothing-here")
        .await
        .assert_error(404, "not_found");
    api.get("/invocations/a/b/c")
        .await
        .assert_error(404, "not_found");
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_method_on_a_known_route_is_405_json() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let id = api.create("app", "act", "1", false).await;
    let wrong = [
        (Method::PUT, "/invocations".to_owned()),
        (Method::DELETE, "/invocations".to_owned()),
        (Method::PATCH, "/invocations".to_owned()),
        (Method::POST, format!("/invocations/{id}")),
        (Method::DELETE, format!("/invocations/{id}")),
        (Method::PUT, format!("/invocations/{id}")),
        (Method::POST, format!("/invocations/{id}/events")),
        (Method::PUT, format!("/invocations/{id}/browsers")),
        (Method::POST, format!("/invocations/{id}/browsers")),
        (Method::GET, "/_emulator/faults".to_owned()),
        (Method::PATCH, "/_emulator/faults".to_owned()),
    ];
    for (method, path) in wrong {
        let answer = api.send(method.clone(), &path, Some(b"{}".to_vec())).await;
        answer.assert_error(405, "method_not_allowed");
    }
    assert_eq!(api.invocation(&id).await["status"], "running");
    assert_eq!(emulator.store().len(), 1);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_carries_a_fresh_request_id() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let create = |is_async: bool| json!({"app_name": "a", "action_name": "b", "version": "1", "async": is_async});
    let mut answers = vec![
        api.post_json("/invocations", &create(false)).await,
        api.post_json("/invocations", &create(true)).await,
    ];
    let id = answers[0].json()["id"].as_str().unwrap().to_owned();
    let path = format!("/invocations/{id}");
    answers.push(api.get(&path).await);
    answers.push(api.get("/invocations").await);
    answers.push(api.get(&format!("{path}/browsers")).await);
    answers.push(
        api.send(Method::DELETE, &format!("{path}/browsers"), None)
            .await,
    );
    answers.push(api.patch_json(&path, &json!({"status": "succeeded"})).await);
    answers.push(api.patch_json(&path, &json!({"status": "failed"})).await); // 409
    answers.push(api.get(&format!("{path}/events")).await);
    answers.push(api.post_json("/invocations", &json!({})).await); // 400
    answers.push(api.get("/invocations/nope").await); // 404
    answers.push(api.get("/no/such/route").await); // 404
    answers.push(api.send(Method::PUT, "/invocations", None).await); // 405
    answers.push(
        api.send_as(None, Method::GET, "/invocations", None)
            .await
            .unwrap(),
    ); // 401
    answers.push(
        api.send_as(
            None,
            Method::POST,
            "/_emulator/faults",
            Some(json!({"status": 503}).to_string().into_bytes()),
        )
        .await
        .unwrap(),
    );
    answers.push(api.get("/invocations").await); // the injected 503
    assert_eq!(answers.last().unwrap().status, 503);
    answers.push(
        api.send_as(None, Method::DELETE, "/_emulator/faults", None)
            .await
            .unwrap(),
    );
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(
        statuses,
        [200, 202, 200, 200, 200, 204, 200, 409, 200, 400, 404, 404, 405, 401, 204, 503, 204]
    );
    let mut seen = HashSet::new();
    for answer in &answers {
        let request_id = answer
            .header("x-request-id")
            .unwrap_or_else(|| panic!("no x-request-id on {answer:?}"));
        let suffix = request_id
            .strip_prefix("req_")
            .unwrap_or_else(|| panic!("{request_id:?}"));
        assert_eq!(suffix.len(), 20, "{request_id:?}");
        assert!(suffix.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert!(seen.insert(request_id.to_owned()), "{request_id} repeated");
    }

    // A fault that sets its own x-request-id keeps it.
    emulator
        .fault(kernel_emulator::FaultSpec {
            status: Some(500),
            headers: Some(std::collections::HashMap::from([(
                "X-Request-Id".to_owned(),
                "req_from_the_fault".to_owned(),
            )])),
            ..Default::default()
        })
        .unwrap();
    let faulted = api.get("/invocations").await;
    assert_eq!(faulted.status, 500);
    let ids: Vec<_> = faulted.headers.get_all("x-request-id").iter().collect();
    assert_eq!(ids, ["req_from_the_fault"]);
    emulator.close().await;
}
