//! A non-success answer: status, headers and body become an `ApiError`
//! (`kernel_core::fuzzing::decode_api_error`), as the transport builds it.
//!
//! Input: a raw HTTP response (`HTTP/1.1 404 Not Found`, header lines, empty line, body); see
//! `kernel_core_fuzz::parse_response`.
//!
//! Properties: no panic in decoding, `Display`, `Debug` or `request_id`; the status is the
//! one sent (500 when it is not a valid status); `body` is the body's JSON when it is JSON, and
//! `text` its trimmed text when it is not JSON or is JSON that JavaScript takes as false (`0`,
//! `null`, `false`, `""`), as `@onkernel/sdk` hands them to `APIError`; the message is
//! `"<status> <server message>"` and uses the body's `message` when it is a non-empty string;
//! `Display` of `Error::Api` is the message;
//! `request_id` is the first `x-request-id` when it is text.

#![no_main]

use http::StatusCode;
use kernel_core::fuzzing::{decode_api_error, server_retry_delay, should_retry};
use kernel_core::Error;
use kernel_core_fuzz::parse_response;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use std::time::SystemTime;

fuzz_target!(|data: &[u8]| {
    let response = parse_response(data);
    let request_id = response
        .headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    // What the transport also reads from the same headers.
    let _ = should_retry(response.status, &response.headers);
    let _ = server_retry_delay(&response.headers, SystemTime::now());

    let err = decode_api_error(response.status, response.headers, response.body);

    let expected_status =
        StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(err.status, expected_status);
    assert_eq!(err.request_id(), request_id.as_deref());

    let json: Option<Value> = serde_json::from_slice(response.body).ok();
    assert_eq!(err.body, json);
    match &err.body {
        Some(body) if truthy(body) => assert_eq!(err.text, None),
        _ => {
            let text = String::from_utf8_lossy(response.body);
            let text = text.trim();
            assert_eq!(err.text.as_deref(), (!text.is_empty()).then_some(text));
        }
    }

    let code = expected_status.as_u16();
    assert!(
        err.message.starts_with(&format!("{code} ")),
        "message {:?} does not start with the status {code}",
        err.message
    );
    if let Some(Value::String(message)) = err.body.as_ref().and_then(|body| body.get("message")) {
        if !message.is_empty() {
            assert_eq!(err.message, format!("{code} {message}"));
        }
    }
    if err.body.is_none() && err.text.is_none() {
        assert_eq!(err.message, format!("{code} status code (no body)"));
    }

    let debug = format!("{err:?}");
    assert!(debug.starts_with("ApiError"), "{debug}");
    let message = err.message.clone();
    let error = Error::Api(Box::new(err));
    assert_eq!(error.to_string(), message);
    let _ = format!("{error:?}");
});

/// JavaScript's truthiness of a JSON value: what the SDK's `APIError.makeMessage` tests.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64() != Some(0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}
