//! Response bodies decoded as JSON: an invocation (`retrieve`, `update`) through
//! `kernel_core::fuzzing::decode_invocation`, and the other bodies `Response::json` decodes
//! with the same `serde_json::from_slice` (`create`, `list`, `list_browsers`).
//!
//! Property: whatever decodes, written back with serde_json, decodes again to the same value:
//! every typed field exactly, unknown fields kept, and a documented field in `extra` only when
//! it was not of its documented type (all of `Invocation`'s are strings; see `lenient.rs`).
//! And `check_object`, which the binding runs before JS parses a body, accepts exactly what
//! decodes, and fails with the same error text when it does not.

#![no_main]

use kernel_core::fuzzing::{check_object, decode_invocation};
use kernel_core::{Invocation, InvocationCreateResponse, InvocationListBrowsersResponse};
use kernel_core_fuzz::json_eq;
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// The fields `Invocation` names; one of them is in `extra` only when it is not a string.
const INVOCATION_FIELDS: [&str; 10] = [
    "id",
    "app_name",
    "action_name",
    "payload",
    "output",
    "started_at",
    "finished_at",
    "status",
    "status_reason",
    "version",
];

fuzz_target!(|data: &[u8]| {
    let decoded = decode_invocation(data);
    match (&decoded, check_object(data)) {
        (Ok(_), Ok(())) => {}
        (Err(decode), Err(check)) => assert_eq!(decode.to_string(), check.to_string()),
        (decode, check) => panic!("decode gave {decode:?} but the check {check:?}"),
    }
    if let Ok(invocation) = decoded {
        check_invocation(&invocation);
    }
    if let Ok(list) = serde_json::from_slice::<Vec<Invocation>>(data) {
        list.iter().for_each(check_invocation);
    }
    round_trip::<InvocationCreateResponse>(data);
    round_trip::<InvocationListBrowsersResponse>(data);
});

fn check_invocation(invocation: &Invocation) {
    for field in INVOCATION_FIELDS {
        assert!(
            !invocation.extra.get(field).is_some_and(Value::is_string),
            "the string {field:?} ended up in extra: {invocation:?}"
        );
    }
    let written = serde_json::to_vec(invocation).expect("a decoded invocation serializes");
    let value: Value = serde_json::from_slice(&written).expect("serde_json wrote valid JSON");
    // The wire form keeps finished_at's states apart: a time, or absent, or as sent (null).
    match (&invocation.finished_at, value.get("finished_at")) {
        (None, None) => {}
        (None, Some(wire)) if !wire.is_string() => {}
        (Some(at), Some(Value::String(wire))) if at == wire => {}
        (field, wire) => panic!("finished_at {field:?} was written as {wire:?}"),
    }
    let again = decode_invocation(&written)
        .unwrap_or_else(|err| panic!("re-decoding {value} failed: {err}"));
    assert_eq!(again.id, invocation.id);
    assert_eq!(again.app_name, invocation.app_name);
    assert_eq!(again.action_name, invocation.action_name);
    assert_eq!(again.payload, invocation.payload);
    assert_eq!(again.output, invocation.output);
    assert_eq!(again.started_at, invocation.started_at);
    assert_eq!(again.finished_at, invocation.finished_at);
    assert_eq!(again.status, invocation.status);
    assert_eq!(again.status_reason, invocation.status_reason);
    assert_eq!(again.version, invocation.version);
    assert!(
        again.extra.keys().eq(invocation.extra.keys()),
        "extra keys changed: {:?} -> {:?}",
        invocation.extra.keys().collect::<Vec<_>>(),
        again.extra.keys().collect::<Vec<_>>()
    );
    let again_value = serde_json::to_value(&again).expect("serializes");
    assert!(
        json_eq(&value, &again_value),
        "round trip changed the invocation: {value} -> {again_value}"
    );
}

/// Decodes `data` as `T`; if that works, writes it back and checks it decodes to the same JSON.
fn round_trip<T: DeserializeOwned + Serialize>(data: &[u8]) {
    let Ok(decoded) = serde_json::from_slice::<T>(data) else {
        return;
    };
    let written = serde_json::to_vec(&decoded).expect("a decoded body serializes");
    let value: Value = serde_json::from_slice(&written).expect("serde_json wrote valid JSON");
    let again: T = serde_json::from_slice(&written)
        .unwrap_or_else(|err| panic!("re-decoding {value} failed: {err}"));
    let again_value = serde_json::to_value(&again).expect("serializes");
    assert!(
        json_eq(&value, &again_value),
        "round trip changed the body: {value} -> {again_value}"
    );
}
