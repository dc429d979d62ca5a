//! Entry points for the `cargo fuzz` targets in `crates/kernel-core/fuzz`: every decoder that
//! reads bytes a server sent, reachable without a socket. Not part of the supported API.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

use crate::error::ApiError;
use crate::wire::Invocation;

/// Decodes a body as an invocation, as `update` and `retrieve` do.
pub fn decode_invocation(body: &[u8]) -> Result<Invocation, serde_json::Error> {
    serde_json::from_slice(body)
}

/// Checks a body as the binding does before JS parses it (`Response::check_object`): it must
/// agree with [`decode_invocation`], error text included.
pub fn check_object(body: &[u8]) -> Result<(), serde_json::Error> {
    crate::lenient::check_object(body)
}

/// Builds the error a non-success answer becomes, reading its body for `code`/`message`.
pub fn decode_api_error(status: u16, headers: HeaderMap, body: &[u8]) -> ApiError {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ApiError::new(status, headers, body)
}

/// The delay `retry-after-ms` / `retry-after` ask for, if it is one the client honours.
pub fn server_retry_delay(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    crate::retry::server_delay(headers, now)
}

/// Whether an answer with this status and headers is retried.
pub fn should_retry(status: u16, headers: &HeaderMap) -> bool {
    StatusCode::from_u16(status).is_ok_and(|status| crate::retry::should_retry(status, headers))
}

/// `X-Has-More` and `X-Next-Offset` of a list answer, as `list` reads them.
pub fn page_headers(
    status: u16,
    headers: &HeaderMap,
) -> Result<(Option<bool>, Option<u64>), crate::Error> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    crate::page::page_headers(status, headers)
}
