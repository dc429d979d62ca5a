//! When to retry and how long to wait: the policy of `@onkernel/sdk`, as pure functions.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

const INITIAL_DELAY: Duration = Duration::from_millis(500);
const MAX_DELAY: Duration = Duration::from_secs(8);
/// A server-requested delay longer than this is not trusted; the default backoff applies.
const MAX_SERVER_DELAY: Duration = Duration::from_secs(60);

/// Whether a response with this status and headers should be retried. `x-should-retry`
/// (`true`/`false`) from the server wins over the status rules.
pub(crate) fn should_retry(status: StatusCode, headers: &HeaderMap) -> bool {
    match headers.get("x-should-retry").map(|value| value.as_bytes()) {
        Some(b"true") => return true,
        Some(b"false") => return false,
        _ => {}
    }
    matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error()
}

/// How long to wait before retry number `retries_done + 1`: the server's `retry-after-ms` or
/// `retry-after` when it gives one between 0 and 60 s, else exponential backoff with jitter.
pub(crate) fn retry_delay(headers: Option<&HeaderMap>, retries_done: u32) -> Duration {
    headers
        .and_then(|headers| server_delay(headers, SystemTime::now()))
        .unwrap_or_else(|| backoff(retries_done, fastrand::f64()))
}

/// 0.5 s doubling per retry, capped at 8 s, less up to 25 % jitter (`jitter` in `[0, 1)`).
pub(crate) fn backoff(retries_done: u32, jitter: f64) -> Duration {
    let doubled = INITIAL_DELAY.saturating_mul(1u32.checked_shl(retries_done).unwrap_or(u32::MAX));
    doubled.min(MAX_DELAY).mul_f64(1.0 - jitter * 0.25)
}

/// The delay a server asked for, if it asked for one we honour.
pub(crate) fn server_delay(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
    };
    let millis = header("retry-after-ms").and_then(parse_non_negative);
    let delay = match millis {
        Some(ms) => Duration::try_from_secs_f64(ms / 1000.0).ok(),
        None => header("retry-after").and_then(|value| match parse_non_negative(value) {
            Some(seconds) => Duration::try_from_secs_f64(seconds).ok(),
            None => httpdate::parse_http_date(value)
                .ok()
                .map(|at| at.duration_since(now).unwrap_or(Duration::ZERO)),
        }),
    }?;
    (delay <= MAX_SERVER_DELAY).then_some(delay)
}

fn parse_non_negative(value: &str) -> Option<f64> {
    value
        .parse::<f64>()
        .ok()
        .filter(|number| number.is_finite() && *number >= 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn retryable_statuses() {
        let none = HeaderMap::new();
        for status in [408, 409, 429, 500, 502, 503, 599] {
            assert!(
                should_retry(StatusCode::from_u16(status).unwrap(), &none),
                "{status}"
            );
        }
        for status in [400, 401, 403, 404, 422, 499] {
            assert!(
                !should_retry(StatusCode::from_u16(status).unwrap(), &none),
                "{status}"
            );
        }
    }

    #[test]
    fn x_should_retry_overrides_the_status() {
        assert!(should_retry(
            StatusCode::BAD_REQUEST,
            &headers(&[("x-should-retry", "true")])
        ));
        assert!(!should_retry(
            StatusCode::SERVICE_UNAVAILABLE,
            &headers(&[("x-should-retry", "false")])
        ));
        assert!(should_retry(
            StatusCode::SERVICE_UNAVAILABLE,
            &headers(&[("x-should-retry", "maybe")])
        ));
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let ms = |n| backoff(n, 0.0).as_millis();
        assert_eq!(
            [ms(0), ms(1), ms(2), ms(3), ms(4), ms(5), ms(40)],
            [500, 1000, 2000, 4000, 8000, 8000, 8000]
        );
    }

    #[test]
    fn jitter_takes_at_most_a_quarter() {
        assert_eq!(backoff(0, 0.999_999).as_millis(), 375);
        assert_eq!(backoff(4, 0.5).as_millis(), 7000);
        for _ in 0..1000 {
            let delay = retry_delay(None, 1);
            assert!(delay <= Duration::from_millis(1000) && delay > Duration::from_millis(750));
        }
    }

    #[test]
    fn retry_after_ms_wins() {
        let now = SystemTime::now();
        let h = headers(&[("retry-after-ms", "250"), ("retry-after", "3")]);
        assert_eq!(server_delay(&h, now), Some(Duration::from_millis(250)));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            server_delay(&headers(&[("retry-after", "1.5")]), now),
            Some(Duration::from_millis(1500))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(
            server_delay(&headers(&[("retry-after", &later)]), now),
            Some(Duration::from_secs(7))
        );
        let past = httpdate::fmt_http_date(now - Duration::from_secs(7));
        assert_eq!(
            server_delay(&headers(&[("retry-after", &past)]), now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn unusable_server_delays_fall_back_to_backoff() {
        let now = SystemTime::now();
        for value in ["61", "-1", "soon", "NaN", "inf"] {
            assert_eq!(
                server_delay(&headers(&[("retry-after", value)]), now),
                None,
                "{value}"
            );
        }
        assert_eq!(
            server_delay(&headers(&[("retry-after-ms", "60001")]), now),
            None
        );
        assert_eq!(
            server_delay(&headers(&[("retry-after-ms", "60000")]), now),
            Some(Duration::from_secs(60))
        );
        // An unusable retry-after-ms lets retry-after speak.
        assert_eq!(
            server_delay(
                &headers(&[("retry-after-ms", "x"), ("retry-after", "2")]),
                now
            ),
            Some(Duration::from_secs(2))
        );
    }
}
