//! The retry policy's reading of server headers: `retry-after-ms`, `retry-after` (seconds or
//! an HTTP date) and `x-should-retry` (`kernel_core::fuzzing::{server_retry_delay,
//! should_retry}`).
//!
//! Input: a raw HTTP response head (`HTTP/1.1 503`, header lines); see
//! `kernel_core_fuzz::parse_response`. A pseudo-header `x-fuzz-now: <unix seconds>` sets the
//! clock (default 2015-10-21 07:27:30 GMT, 30 s before the date in the seeds) and is removed
//! before the decoders see the headers.
//!
//! Properties: a delay is never over 60 s; a clock one second later gives a delay that is
//! still honoured, not longer, and at most 1 s shorter; a plain integer `retry-after` from 0 to
//! 60 with no usable `retry-after-ms` is exactly that many seconds; `x-should-retry: true` /
//! `false` decide retrying, otherwise 408, 409, 429 and 5xx are retried and nothing else.

#![no_main]

use std::time::{Duration, SystemTime};

use http::StatusCode;
use kernel_core::fuzzing::{server_retry_delay, should_retry};
use kernel_core_fuzz::parse_response;
use libfuzzer_sys::fuzz_target;

const MAX_SERVER_DELAY: Duration = Duration::from_secs(60);
/// 2015-10-21 07:27:30 GMT.
const DEFAULT_NOW: u64 = 1_445_412_450;

fuzz_target!(|data: &[u8]| {
    let mut response = parse_response(data);
    let now = response
        .headers
        .remove("x-fuzz-now")
        .and_then(|value| value.to_str().ok()?.trim().parse::<i64>().ok())
        .map_or(
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(DEFAULT_NOW)),
            at_unix,
        );
    let Some(now) = now else {
        return; // a clock SystemTime cannot represent
    };
    let headers = response.headers;

    let delay = server_retry_delay(&headers, now);
    if let Some(delay) = delay {
        assert!(delay <= MAX_SERVER_DELAY, "delay {delay:?} is over 60 s");
    }
    if let Some(later) = now.checked_add(Duration::from_secs(1)) {
        let later_delay = server_retry_delay(&headers, later);
        if let Some(delay) = delay {
            let later_delay = later_delay
                .unwrap_or_else(|| panic!("delay {delay:?} honoured now but not one second later"));
            assert!(
                later_delay <= delay && delay - later_delay <= Duration::from_secs(1),
                "delay {delay:?} became {later_delay:?} one second later"
            );
        }
    }
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let usable_ms = text("retry-after-ms")
        .and_then(|value| value.trim().parse::<f64>().ok())
        .is_some_and(|ms| ms.is_finite() && ms >= 0.0);
    if !usable_ms {
        if let Some(seconds) = text("retry-after")
            .map(str::trim)
            .filter(|value| !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|value| value.parse::<u64>().ok())
            .filter(|seconds| *seconds <= 60)
        {
            assert_eq!(delay, Some(Duration::from_secs(seconds)));
        }
    }

    let status = response.status;
    let retried = should_retry(status, &headers);
    match StatusCode::from_u16(status) {
        Err(_) => assert!(!retried, "invalid status {status} retried"),
        Ok(code) => {
            let expected = match headers.get("x-should-retry").map(|value| value.as_bytes()) {
                Some(b"true") => true,
                Some(b"false") => false,
                _ => matches!(status, 408 | 409 | 429) || code.is_server_error(),
            };
            assert_eq!(retried, expected, "status {status}, headers {headers:?}");
        }
    }
});

fn at_unix(seconds: i64) -> Option<SystemTime> {
    let offset = Duration::from_secs(seconds.unsigned_abs());
    if seconds >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(offset)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(offset)
    }
}
