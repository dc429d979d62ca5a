//! `Idempotency-Key` on POST, PATCH and DELETE, the journal of applied mutations
//! (`/_emulator/journal`, `Emulator::journal`) and the counters of `/_emulator/stats`.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use kernel_emulator::FaultSpec;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::task::JoinSet;

/// `POST /invocations` with the body `create_body(name)` under `key`.
async fn create_keyed(api: &Api, name: &str, key: &str) -> Answer {
    api.send_keyed(Method::POST, "/invocations", Some(&create_body(name)), key)
        .await
}

fn create_body(app: &str) -> Value {
    json!({"app_name": app, "action_name": "act", "version": "1"})
}

#[track_caller]
fn assert_fresh(answer: &Answer, status: u16) {
    assert_eq!(
        answer.status.as_u16(),
        status,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.header("idempotent-replayed"), None, "not a replay");
}

#[track_caller]
fn assert_replay_of(answer: &Answer, first: &Answer) {
    assert_eq!(
        answer.status,
        first.status,
        "{}",
        String::from_utf8_lossy(&answer.body)
    );
    assert_eq!(answer.header("idempotent-replayed"), Some("true"));
    assert_eq!(answer.body, first.body, "the very same body");
    assert!(answer
        .header("content-type")
        .is_some_and(|v| v.starts_with("application/json")));
    assert!(answer
        .header("x-request-id")
        .is_some_and(|id| id.starts_with("req_")));
}

/// The journal entry fields, exactly, in camelCase.
#[track_caller]
fn assert_entry_shape(entry: &Value) {
    let names: HashSet<&str> = entry
        .as_object()
        .expect("an entry is an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        HashSet::from([
            "seq",
            "method",
            "path",
            "idempotencyKey",
            "status",
            "invocationId",
            "invocationStatus"
        ]),
        "{entry}"
    );
}

/// The HTTP journal and `Emulator::journal` agree, and `seq` runs 1, 2, 3, ...
async fn checked_journal(emulator: &kernel_emulator::Emulator, api: &Api) -> Vec<Value> {
    let entries = api.journal().await;
    let from_rust = serde_json::to_value(emulator.journal()).unwrap();
    assert_eq!(Value::Array(entries.clone()), from_rust);
    for (i, entry) in entries.iter().enumerate() {
        assert_entry_shape(entry);
        assert_eq!(entry["seq"], i as u64 + 1, "{entry}");
    }
    entries
}

#[tokio::test(flavor = "multi_thread")]
async fn a_repeated_key_replays_the_first_answer_and_applies_nothing() {
    let emulator = start().await;
    let api = Api::new(&emulator);

    // A create.
    let body = create_body("app");
    let first = api
        .send_keyed(Method::POST, "/invocations", Some(&body), "create-1")
        .await;
    assert_fresh(&first, 200);
    let id = first.json()["id"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let again = api
            .send_keyed(Method::POST, "/invocations", Some(&body), "create-1")
            .await;
        assert_replay_of(&again, &first);
        assert_ne!(again.header("x-request-id"), first.header("x-request-id"));
    }
    assert_eq!(emulator.store().len(), 1, "created once");

    // An async create replays its 202.
    let async_body =
        json!({"app_name": "app", "action_name": "act", "version": "1", "async": true});
    let accepted = api
        .send_keyed(Method::POST, "/invocations", Some(&async_body), "create-2")
        .await;
    assert_fresh(&accepted, 202);
    let replay = api
        .send_keyed(Method::POST, "/invocations", Some(&async_body), "create-2")
        .await;
    assert_replay_of(&replay, &accepted);
    assert_eq!(replay.json()["status"], "queued");
    assert_eq!(emulator.store().len(), 2);

    // An update replays its first answer even after the invocation moved on.
    let path = format!("/invocations/{id}");
    let succeed = json!({"status": "succeeded", "output": "one"});
    let updated = api
        .send_keyed(Method::PATCH, &path, Some(&succeed), "update-1")
        .await;
    assert_fresh(&updated, 200);
    assert_eq!(updated.json()["status"], "succeeded");
    let replay = api
        .send_keyed(Method::PATCH, &path, Some(&succeed), "update-1")
        .await;
    assert_replay_of(&replay, &updated);
    // The same body under a new key is a new request: handled (the idempotent repeat of a
    // terminal status), not replayed.
    let repeat = api
        .send_keyed(Method::PATCH, &path, Some(&succeed), "update-2")
        .await;
    assert_fresh(&repeat, 200);

    // Four mutations applied, each under its own key; no entry for any replay.
    let journal = checked_journal(&emulator, &api).await;
    let keys: Vec<&Value> = journal.iter().map(|e| &e["idempotencyKey"]).collect();
    assert_eq!(
        keys,
        [
            &json!("create-1"),
            &json!("create-2"),
            &json!("update-1"),
            &json!("update-2")
        ]
    );
    assert_eq!(
        journal[0],
        json!({"seq": 1, "method": "POST", "path": "/invocations", "idempotencyKey": "create-1",
               "status": 200, "invocationId": id, "invocationStatus": "running"})
    );
    assert_eq!(journal[1]["status"], 202);
    assert_eq!(journal[1]["invocationStatus"], "queued");
    assert_eq!(
        journal[2],
        json!({"seq": 3, "method": "PATCH", "path": path, "idempotencyKey": "update-1",
               "status": 200, "invocationId": id, "invocationStatus": "succeeded"})
    );
    // Requests: 3 create-1, 2 create-2, 3 PATCH; replays: 2 + 1 + 1.
    assert_stats(&api.stats().await, 8, 2, 0, 4);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_used_key_for_a_different_request_is_refused_with_422() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let first = create_keyed(&api, "a", "k").await;
    assert_fresh(&first, 200);
    let id = first.json()["id"].as_str().unwrap().to_owned();
    let other = api.create("b", "act", "1", false).await;

    // Another body, another path, another method: each refused, none applied.
    let reused = create_keyed(&api, "b", "k").await;
    reused.assert_error(422, "idempotency_key_reused");
    assert_eq!(reused.header("idempotent-replayed"), None);
    let patch = json!({"status": "failed"});
    let reused = api
        .send_keyed(
            Method::PATCH,
            &format!("/invocations/{id}"),
            Some(&patch),
            "k",
        )
        .await;
    reused.assert_error(422, "idempotency_key_reused");
    let reused = api
        .send_keyed(
            Method::DELETE,
            &format!("/invocations/{id}/browsers"),
            None,
            "k",
        )
        .await;
    reused.assert_error(422, "idempotency_key_reused");
    assert_eq!(api.invocation(&id).await["status"], "running");
    assert_eq!(emulator.store().len(), 2);

    // A PATCH key used on one invocation is refused on another one.
    let done = api
        .send_keyed(
            Method::PATCH,
            &format!("/invocations/{id}"),
            Some(&patch),
            "p",
        )
        .await;
    assert_fresh(&done, 200);
    let reused = api
        .send_keyed(
            Method::PATCH,
            &format!("/invocations/{other}"),
            Some(&patch),
            "p",
        )
        .await;
    reused.assert_error(422, "idempotency_key_reused");
    assert_eq!(api.invocation(&other).await["status"], "running");

    // The refusals did not overwrite what the keys hold.
    let replay = create_keyed(&api, "a", "k").await;
    assert_replay_of(&replay, &first);

    // Keys are distinct from each other: a new key for the same body is a new create.
    let fresh = create_keyed(&api, "a", "k2").await;
    assert_fresh(&fresh, 200);
    assert_ne!(fresh.json()["id"], first.json()["id"]);

    let journal = checked_journal(&emulator, &api).await;
    let summary: Vec<(&str, &Value)> = journal
        .iter()
        .map(|e| (e["method"].as_str().unwrap(), &e["idempotencyKey"]))
        .collect();
    assert_eq!(
        summary,
        [
            ("POST", &json!("k")),
            ("POST", &Value::Null),
            ("PATCH", &json!("p")),
            ("POST", &json!("k2")),
        ]
    );
    assert_eq!(api.stats().await["replayed"], 1);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_lost_after_the_create_is_recovered_by_a_retry_with_the_same_key() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    emulator
        .fault(FaultSpec {
            method: Some("POST".into()),
            drop_after: Some(true),
            ..FaultSpec::default()
        })
        .unwrap();
    let body = create_body("lost");
    let lost = within(
        "POST whose answer is lost",
        api.try_send_with(
            Method::POST,
            "/invocations",
            Some(&body),
            &[("idempotency-key", "lost-1")],
        ),
    )
    .await;
    assert!(lost.is_err(), "no answer: {lost:?}");
    assert_eq!(
        emulator.store().len(),
        1,
        "created although the answer was lost"
    );

    let retry = api
        .send_keyed(Method::POST, "/invocations", Some(&body), "lost-1")
        .await;
    assert_eq!(retry.status, 200);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    let id = retry.json()["id"].as_str().unwrap().to_owned();
    assert!(
        emulator.store().get(&id).is_some(),
        "the replay names the created one"
    );
    assert_eq!(emulator.store().len(), 1, "not created twice");
    let journal = checked_journal(&emulator, &api).await;
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0]["invocationId"], id.as_str());
    assert_eq!(journal[0]["idempotencyKey"], "lost-1");
    assert_stats(&api.stats().await, 2, 1, 1, 1);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_faulted_answer_never_reaches_the_key_so_a_retry_is_applied() {
    // Faults fire before the idempotency layer: a 5xx (or any injected status) and a dropped
    // connection leave the key unused, so the retry is handled afresh, once.
    let emulator = start().await;
    let api = Api::new(&emulator);
    emulator
        .fault(FaultSpec {
            method: Some("POST".into()),
            status: Some(503),
            ..FaultSpec::default()
        })
        .unwrap();
    emulator
        .fault(FaultSpec {
            method: Some("POST".into()),
            status: Some(500),
            ..FaultSpec::default()
        })
        .unwrap();
    emulator
        .fault(FaultSpec {
            method: Some("POST".into()),
            drop: Some(true),
            ..FaultSpec::default()
        })
        .unwrap();
    let body = create_body("retry");
    let send = || {
        api.try_send_with(
            Method::POST,
            "/invocations",
            Some(&body),
            &[("idempotency-key", "retry-1")],
        )
    };
    let answer = within("503", send()).await.unwrap();
    assert_eq!(answer.status, 503);
    assert_eq!(answer.json()["code"], "injected_fault");
    let answer = within("500", send()).await.unwrap();
    assert_eq!(answer.status, 500);
    assert!(within("drop", send()).await.is_err());
    assert_eq!(emulator.store().len(), 0);
    assert!(emulator.journal().is_empty());

    let applied = within("retry", send()).await.unwrap();
    assert_fresh(&applied, 200);
    let replay = within("replay", send()).await.unwrap();
    assert_replay_of(&replay, &applied);
    assert_eq!(emulator.store().len(), 1);
    assert_eq!(checked_journal(&emulator, &api).await.len(), 1);
    assert_stats(&api.stats().await, 5, 1, 3, 1);

    // Same for an update.
    let id = applied.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/invocations/{id}");
    emulator
        .fault(FaultSpec {
            method: Some("PATCH".into()),
            status: Some(502),
            ..FaultSpec::default()
        })
        .unwrap();
    let fail = json!({"status": "failed"});
    let answer = api
        .send_keyed(Method::PATCH, &path, Some(&fail), "update")
        .await;
    assert_eq!(answer.status, 502);
    assert_eq!(api.invocation(&id).await["status"], "running");
    let answer = api
        .send_keyed(Method::PATCH, &path, Some(&fail), "update")
        .await;
    assert_fresh(&answer, 200);
    assert_eq!(api.invocation(&id).await["status"], "failed");
    assert_eq!(checked_journal(&emulator, &api).await.len(), 2);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn client_errors_are_kept_under_their_key_and_not_journalled() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    // A 400 is an answer like any other: the same request gets it again, replayed.
    let invalid = json!({"app_name": "a"});
    let first = api
        .send_keyed(Method::POST, "/invocations", Some(&invalid), "bad")
        .await;
    first.assert_error(400, "bad_request");
    assert_eq!(first.header("idempotent-replayed"), None);
    let again = api
        .send_keyed(Method::POST, "/invocations", Some(&invalid), "bad")
        .await;
    assert_replay_of(&again, &first);
    again.assert_error(400, "bad_request");
    // ... and the fixed request needs a new key.
    create_keyed(&api, "a", "bad")
        .await
        .assert_error(422, "idempotency_key_reused");

    // A 409 conflict and a 404 likewise.
    let id = api.create("a", "b", "1", false).await;
    let path = format!("/invocations/{id}");
    api.patch_json(&path, &json!({"status": "succeeded"})).await;
    let conflict = api
        .send_keyed(
            Method::PATCH,
            &path,
            Some(&json!({"status": "failed"})),
            "c",
        )
        .await;
    conflict.assert_error(409, "conflict");
    assert_replay_of(
        &api.send_keyed(
            Method::PATCH,
            &path,
            Some(&json!({"status": "failed"})),
            "c",
        )
        .await,
        &conflict,
    );
    let missing = api
        .send_keyed(
            Method::PATCH,
            "/invocations/nope",
            Some(&json!({"status": "failed"})),
            "m",
        )
        .await;
    missing.assert_error(404, "not_found");
    assert_replay_of(
        &api.send_keyed(
            Method::PATCH,
            "/invocations/nope",
            Some(&json!({"status": "failed"})),
            "m",
        )
        .await,
        &missing,
    );

    // Only the two successful mutations (the create and the first PATCH, both unkeyed).
    let journal = checked_journal(&emulator, &api).await;
    assert_eq!(journal.len(), 2, "{journal:?}");
    assert!(journal.iter().all(|e| e["idempotencyKey"].is_null()));
    assert_eq!(emulator.store().len(), 1);
    assert_eq!(api.stats().await["replayed"], 3);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unauthenticated_request_does_not_use_its_key() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let body = create_body("a");
    for auth in ["Bearer wrong", "Basic abc"] {
        let answer = api
            .send_with(
                Method::POST,
                "/invocations",
                Some(&body),
                &[("authorization", auth), ("idempotency-key", "auth")],
            )
            .await;
        answer.assert_error(401, "unauthorized");
    }
    let applied = api
        .send_keyed(Method::POST, "/invocations", Some(&body), "auth")
        .await;
    assert_fresh(&applied, 200);
    // An unauthenticated retry of a used key gets 401, not the stored answer.
    let answer = api
        .send_with(
            Method::POST,
            "/invocations",
            Some(&body),
            &[
                ("authorization", "Bearer wrong"),
                ("idempotency-key", "auth"),
            ],
        )
        .await;
    answer.assert_error(401, "unauthorized");
    assert_eq!(emulator.store().len(), 1);
    assert_eq!(api.stats().await["replayed"], 0);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_on_get_are_ignored() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let id = api.create("a", "b", "1", false).await;
    let long = "g".repeat(256);
    for key in ["get-key", long.as_str(), ""] {
        for path in [format!("/invocations/{id}"), "/invocations".to_owned()] {
            for _ in 0..2 {
                let answer = api.send_keyed(Method::GET, &path, None, key).await;
                assert_fresh(&answer, 200);
            }
        }
    }
    // The GETs did not take the key: a POST with it is applied, and a GET after that still
    // gets its own answer rather than the POST's.
    let created = create_keyed(&api, "p", "get-key").await;
    assert_fresh(&created, 200);
    let listed = api
        .send_keyed(Method::GET, "/invocations", None, "get-key")
        .await;
    assert_fresh(&listed, 200);
    assert_eq!(listed.json().as_array().unwrap().len(), 2);

    let journal = checked_journal(&emulator, &api).await;
    assert_eq!(journal.len(), 2, "GETs are not journalled");
    assert_eq!(journal[1]["idempotencyKey"], "get-key");
    assert_eq!(api.stats().await["replayed"], 0);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_must_be_1_to_255_visible_ascii_characters() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    let body = create_body("a");
    let too_long = "k".repeat(256);
    for key in [too_long.as_str(), ""] {
        let answer = api
            .send_keyed(Method::POST, "/invocations", Some(&body), key)
            .await;
        answer.assert_error(400, "bad_request");
        assert!(answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key"));
    }
    let id = api.create("a", "b", "1", false).await;
    api.send_keyed(
        Method::PATCH,
        &format!("/invocations/{id}"),
        Some(&json!({"status": "failed"})),
        &too_long,
    )
    .await
    .assert_error(400, "bad_request");
    api.send_keyed(
        Method::DELETE,
        &format!("/invocations/{id}/browsers"),
        None,
        &too_long,
    )
    .await
    .assert_error(400, "bad_request");
    // A key with a byte outside visible ASCII, over a raw socket.
    let body_text = body.to_string();
    let request = format!(
        "POST /invocations HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer {KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nIdempotency-Key: caf\u{e9}\r\n\
         Connection: close\r\n\r\n{body_text}",
        body_text.len()
    );
    let received = raw_exchange(emulator.address(), request.as_bytes())
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 400 "), "{text}");
    assert!(text.contains("\"bad_request\""), "{text}");
    assert_eq!(api.invocation(&id).await["status"], "running");
    assert_eq!(emulator.store().len(), 1, "none of them applied");

    // 255 characters is fine.
    let longest = "k".repeat(255);
    let created = api
        .send_keyed(Method::POST, "/invocations", Some(&body), &longest)
        .await;
    assert_fresh(&created, 200);
    assert_replay_of(
        &api.send_keyed(Method::POST, "/invocations", Some(&body), &longest)
            .await,
        &created,
    );
    let journal = checked_journal(&emulator, &api).await;
    assert_eq!(journal.len(), 2);
    assert_eq!(journal[1]["idempotencyKey"], longest.as_str());
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_journal_lists_every_applied_mutation_in_order() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    assert!(checked_journal(&emulator, &api).await.is_empty());

    let sync_id = api.create("a", "b", "1", false).await; // 1
    let async_answer = api
        .send_keyed(
            Method::POST,
            "/invocations",
            Some(&json!({"app_name": "a", "action_name": "b", "version": "1", "async": true})),
            "async-create",
        )
        .await; // 2
    assert_fresh(&async_answer, 202);
    let async_id = async_answer.json()["id"].as_str().unwrap().to_owned();
    // Not journalled: reads, refused requests, a conflict, a replay.
    api.get("/invocations").await;
    api.get(&format!("/invocations/{sync_id}")).await;
    api.post_json("/invocations", &json!({"app_name": "a"}))
        .await
        .assert_error(400, "bad_request");
    api.patch_json("/invocations/none", &json!({"status": "failed"}))
        .await
        .assert_error(404, "not_found");
    let failed = api
        .patch_json(
            &format!("/invocations/{sync_id}"),
            &json!({"status": "failed"}),
        )
        .await; // 3
    assert_fresh(&failed, 200);
    api.patch_json(
        &format!("/invocations/{sync_id}"),
        &json!({"status": "succeeded"}),
    )
    .await
    .assert_error(409, "conflict");
    let replay = api
        .send_keyed(
            Method::POST,
            "/invocations",
            Some(&json!({"app_name": "a", "action_name": "b", "version": "1", "async": true})),
            "async-create",
        )
        .await;
    assert_replay_of(&replay, &async_answer);
    let deleted = api
        .send_keyed(
            Method::DELETE,
            &format!("/invocations/{async_id}/browsers"),
            None,
            "delete",
        )
        .await; // 4
    assert_fresh(&deleted, 204);
    assert!(deleted.body.is_empty());
    // A 204 replays as a 204, still without a body.
    let replay = api
        .send_keyed(
            Method::DELETE,
            &format!("/invocations/{async_id}/browsers"),
            None,
            "delete",
        )
        .await;
    assert_eq!(replay.status, 204);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert!(replay.body.is_empty());
    let updated = api
        .send_keyed(
            Method::PATCH,
            &format!("/invocations/{async_id}"),
            Some(&json!({"status": "succeeded", "output": "{}"})),
            "finish",
        )
        .await; // 5
    assert_fresh(&updated, 200);

    let journal = checked_journal(&emulator, &api).await;
    assert_eq!(
        journal,
        [
            json!({"seq": 1, "method": "POST", "path": "/invocations", "idempotencyKey": null,
                   "status": 200, "invocationId": sync_id, "invocationStatus": "running"}),
            json!({"seq": 2, "method": "POST", "path": "/invocations",
                   "idempotencyKey": "async-create", "status": 202,
                   "invocationId": async_id, "invocationStatus": "queued"}),
            json!({"seq": 3, "method": "PATCH", "path": format!("/invocations/{sync_id}"),
                   "idempotencyKey": null, "status": 200, "invocationId": sync_id,
                   "invocationStatus": "failed"}),
            json!({"seq": 4, "method": "DELETE",
                   "path": format!("/invocations/{async_id}/browsers"),
                   "idempotencyKey": "delete", "status": 204, "invocationId": null,
                   "invocationStatus": null}),
            json!({"seq": 5, "method": "PATCH", "path": format!("/invocations/{async_id}"),
                   "idempotencyKey": "finish", "status": 200, "invocationId": async_id,
                   "invocationStatus": "succeeded"}),
        ]
    );
    // The journal is a copy: reading it changes nothing.
    assert_eq!(checked_journal(&emulator, &api).await, journal);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn stats_count_requests_invocations_faults_and_replays() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    assert_stats(&api.stats().await, 0, 0, 0, 0);
    let body = create_body("s");
    api.send_keyed(Method::POST, "/invocations", Some(&body), "s1")
        .await;
    api.send_keyed(Method::POST, "/invocations", Some(&body), "s1")
        .await;
    api.send_keyed(Method::POST, "/invocations", Some(&body), "s2")
        .await;
    // Refused and faulted requests count as requests too; the control routes do not.
    api.send_as(None, Method::GET, "/invocations", None)
        .await
        .unwrap()
        .assert_error(401, "unauthorized");
    emulator
        .fault(FaultSpec {
            status: Some(503),
            times: Some(2),
            ..FaultSpec::default()
        })
        .unwrap();
    assert_eq!(api.get("/invocations").await.status, 503);
    assert_eq!(api.post_json("/invocations", &body).await.status, 503);
    api.journal().await;
    api.stats().await;
    assert_stats(&api.stats().await, 6, 2, 2, 1);
    assert_eq!(emulator.faults_fired(), 2);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_disconnects_mid_request_leaves_the_key_free() {
    // The first request waits in a delay fault; its client gives up and closes the socket.
    // The abandoned request is not applied, and the retry under the same key is applied, once.
    let emulator = start().await;
    let api = Api::new(&emulator);
    emulator
        .fault(FaultSpec {
            method: Some("POST".into()),
            delay_ms: Some(400),
            ..FaultSpec::default()
        })
        .unwrap();
    let body = create_body("gone").to_string();
    let request = format!(
        "POST /invocations HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer {KEY}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nIdempotency-Key: gone\r\n\r\n{body}",
        body.len()
    );
    let mut socket = tokio::net::TcpStream::connect(emulator.address())
        .await
        .unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(socket);
    // Well past the delay: the abandoned request would have been applied by now.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        emulator.store().len(),
        0,
        "the abandoned request was not applied"
    );
    assert!(emulator.journal().is_empty());

    let retry = create_keyed(&api, "gone", "gone").await;
    assert_fresh(&retry, 200);
    let replay = create_keyed(&api, "gone", "gone").await;
    assert_replay_of(&replay, &retry);
    assert_eq!(emulator.store().len(), 1);
    let journal = checked_journal(&emulator, &api).await;
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0]["invocationId"], retry.json()["id"]);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_while_the_first_request_is_in_flight_gets_409() {
    let emulator = start().await;
    let api = Api::new(&emulator);
    emulator
        .fault(FaultSpec {
            method: Some("POST".into()),
            delay_ms: Some(500),
            ..FaultSpec::default()
        })
        .unwrap();
    let body = create_body("slow");
    let slow = tokio::spawn({
        let (api, body) = (api.clone(), body.clone());
        async move {
            api.send_keyed(Method::POST, "/invocations", Some(&body), "slow")
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let second = api
        .send_keyed(Method::POST, "/invocations", Some(&body), "slow")
        .await;
    second.assert_error(409, "idempotency_key_in_use");
    // A different request under the in-flight key is still a reuse.
    create_keyed(&api, "x", "slow")
        .await
        .assert_error(422, "idempotency_key_reused");
    let first = slow.await.unwrap();
    assert_fresh(&first, 200);
    let retry = api
        .send_keyed(Method::POST, "/invocations", Some(&body), "slow")
        .await;
    assert_replay_of(&retry, &first);
    assert_eq!(emulator.store().len(), 1);
    assert_eq!(checked_journal(&emulator, &api).await.len(), 1);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_concurrent_identical_requests_with_one_key_apply_once() {
    const N: usize = 50;
    let emulator = start().await;
    let api = Api::new(&emulator);
    let body = create_body("race");
    let barrier = Arc::new(tokio::sync::Barrier::new(N));
    let mut tasks = JoinSet::new();
    for _ in 0..N {
        // One client each, so every request has its own connection.
        let api = Api::at(&api.base, &api.key);
        let (body, barrier) = (body.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            api.send_keyed(Method::POST, "/invocations", Some(&body), "race")
                .await
        });
    }
    let mut answers = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        answers.push(answer.unwrap());
    }
    let applied: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == 200 && a.header("idempotent-replayed").is_none())
        .collect();
    assert_eq!(applied.len(), 1, "exactly one was handled");
    let first = applied[0];
    let mut replayed = 0;
    for answer in &answers {
        if std::ptr::eq(answer, first) {
            continue;
        }
        match answer.status.as_u16() {
            200 => {
                assert_replay_of(answer, first);
                replayed += 1;
            }
            409 => answer.assert_error(409, "idempotency_key_in_use"),
            other => panic!(
                "unexpected {other}: {}",
                String::from_utf8_lossy(&answer.body)
            ),
        }
    }
    assert_eq!(emulator.store().len(), 1);
    let journal = checked_journal(&emulator, &api).await;
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0]["invocationId"], first.json()["id"]);
    assert_stats(&api.stats().await, N as u64, 1, 0, replayed);
    emulator.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_requests_under_distinct_keys_each_apply_once_in_seq_order() {
    const N: usize = 100;
    let emulator = start().await;
    let api = Api::new(&emulator);
    let mut tasks = JoinSet::new();
    for i in 0..N {
        let api = api.clone();
        tasks.spawn(async move {
            let key = format!("key-{i}");
            let body = create_body(&format!("app{i}"));
            let first = api
                .send_keyed(Method::POST, "/invocations", Some(&body), &key)
                .await;
            assert_fresh(&first, 200);
            let again = api
                .send_keyed(Method::POST, "/invocations", Some(&body), &key)
                .await;
            assert_replay_of(&again, &first);
            (key, first.json()["id"].as_str().unwrap().to_owned())
        });
    }
    let mut expected = HashSet::new();
    while let Some(done) = tasks.join_next().await {
        expected.insert(done.unwrap());
    }
    let journal = checked_journal(&emulator, &api).await;
    let seen: HashSet<(String, String)> = journal
        .iter()
        .map(|e| {
            (
                e["idempotencyKey"].as_str().unwrap().to_owned(),
                e["invocationId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(journal.len(), N);
    assert_eq!(seen, expected);
    assert_stats(&api.stats().await, 2 * N as u64, N as u64, 0, N as u64);
    emulator.close().await;
}
