//! Scripted misbehaviour: the next `times` matching requests (or a random `rate` of them) get a
//! status, a delay or a dropped connection instead of the normal answer, or lose their answer
//! after being applied.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Deserialize;
use serde_json::Value;

use crate::limits::{self, LimitError};

/// One fault, as `emu.fault(spec)` and `POST /_emulator/faults` take it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FaultSpec {
    /// Only requests with this method (any case) match.
    pub method: Option<String>,
    /// Only requests whose path starts with this match.
    pub path: Option<String>,
    /// Answer with this status instead.
    pub status: Option<u16>,
    /// Headers of the faulted answer.
    pub headers: Option<HashMap<String, String>>,
    /// Body of the faulted answer; default `{"code":"injected_fault","message":...}`.
    pub body: Option<Value>,
    /// Wait this long first; without `status` or `drop` the request then proceeds normally.
    pub delay_ms: Option<u64>,
    /// Close the connection without answering; the request is not applied.
    pub drop: Option<bool>,
    /// Apply the request, then close the connection without answering: the answer is lost.
    pub drop_after: Option<bool>,
    /// How many matching requests it applies to; default 1, or unlimited with `rate`.
    pub times: Option<u32>,
    /// Fire for this fraction (0 to 1) of matching requests, chosen at random.
    pub rate: Option<f64>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid fault: {0}")]
pub struct FaultError(pub String);

impl From<LimitError> for FaultError {
    fn from(err: LimitError) -> Self {
        FaultError(err.to_string())
    }
}

/// A fault as JS and `POST /_emulator/faults` give it: the same fields as [`FaultSpec`], with
/// the numbers as JS and JSON numbers (`f64`), not yet checked. [`FaultSpec::try_from`] checks
/// each against its limit in [`crate::limits`], so `2 ** 32` is refused, not wrapped to 0.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FaultOptions {
    pub method: Option<String>,
    pub path: Option<String>,
    pub status: Option<f64>,
    pub headers: Option<HashMap<String, String>>,
    pub body: Option<Value>,
    pub delay_ms: Option<f64>,
    pub drop: Option<bool>,
    pub drop_after: Option<bool>,
    pub times: Option<f64>,
    pub rate: Option<f64>,
}

impl TryFrom<FaultOptions> for FaultSpec {
    type Error = FaultError;

    fn try_from(options: FaultOptions) -> Result<Self, FaultError> {
        let whole =
            |range: limits::Range, value: Option<f64>| value.map(|v| range.check(v)).transpose();
        // Each number fits its field once within its range (at most 599 and 2^31 - 1).
        let status = whole(limits::FAULT_STATUS, options.status)?.map(|status| status as u16);
        let delay_ms = whole(limits::FAULT_DELAY_MS, options.delay_ms)?;
        let times = whole(limits::FAULT_TIMES, options.times)?.map(|times| times as u32);
        Ok(FaultSpec {
            method: options.method,
            path: options.path,
            status,
            headers: options.headers,
            body: options.body,
            delay_ms,
            drop: options.drop,
            drop_after: options.drop_after,
            times,
            rate: options.rate,
        })
    }
}

impl FaultSpec {
    fn check(&self) -> Result<(), FaultError> {
        let drops = [self.drop, self.drop_after]
            .iter()
            .filter(|flag| **flag == Some(true))
            .count();
        if self.status.is_none() && self.delay_ms.is_none() && drops == 0 {
            return Err(FaultError(
                "give status, delayMs, drop: true or dropAfter: true".into(),
            ));
        }
        if drops + usize::from(self.status.is_some()) > 1 {
            return Err(FaultError(
                "status, drop and dropAfter exclude each other".into(),
            ));
        }
        if let Some(rate) = self.rate {
            limits::check_rate(rate)?;
        }
        if let Some(status) = self.status {
            limits::FAULT_STATUS.check_whole(status.into())?;
        }
        if let Some(times) = self.times {
            limits::FAULT_TIMES.check_whole(times.into())?;
        }
        if let Some(delay_ms) = self.delay_ms {
            limits::FAULT_DELAY_MS.check_whole(delay_ms)?;
        }
        if let Some(headers) = &self.headers {
            for (name, value) in headers {
                let valid = http::HeaderName::from_bytes(name.as_bytes()).is_ok()
                    && http::HeaderValue::from_str(value).is_ok();
                if !valid {
                    return Err(FaultError(format!("header {name:?} is not a valid header")));
                }
            }
        }
        Ok(())
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.path.as_deref().is_none_or(|p| path.starts_with(p))
    }
}

/// The wait of a `delayMs` fault whose request then proceeds; the innermost layer of the API
/// ([`apply_delay`]) sleeps it, after authentication and the idempotency key.
#[derive(Clone, Copy, Debug)]
pub struct FaultDelay(pub std::time::Duration);

/// Sleeps a request's [`FaultDelay`], if it has one, then handles it.
pub async fn apply_delay(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if let Some(FaultDelay(delay)) = request.extensions().get::<FaultDelay>().copied() {
        tokio::time::sleep(delay).await;
    }
    next.run(request).await
}

/// The faults still to fire, in the order they were added, and how many fired.
#[derive(Default)]
pub struct Faults {
    pending: Mutex<Vec<(FaultSpec, u32)>>,
    fired: AtomicU64,
}

impl Faults {
    pub fn add(&self, spec: FaultSpec) -> Result<(), FaultError> {
        spec.check()?;
        let default_times = if spec.rate.is_some() { u32::MAX } else { 1 };
        let times = spec.times.unwrap_or(default_times);
        self.lock().push((spec, times));
        Ok(())
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The first pending fault that matches this request and fires (a fault with a `rate`
    /// fires at random), used up by one.
    pub fn take(&self, method: &str, path: &str) -> Option<FaultSpec> {
        let mut pending = self.lock();
        let index = pending.iter().position(|(spec, _)| {
            spec.matches(method, path) && spec.rate.is_none_or(|rate| fastrand::f64() < rate)
        })?;
        let (spec, remaining) = &mut pending[index];
        let fired = spec.clone();
        *remaining -= 1;
        if *remaining == 0 {
            pending.remove(index);
        }
        self.fired.fetch_add(1, Ordering::Relaxed);
        Some(fired)
    }

    /// How many faults fired since the emulator started.
    pub fn fired(&self) -> u64 {
        self.fired.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(FaultSpec, u32)>> {
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_fire_times_then_stop() {
        let faults = Faults::default();
        faults
            .add(FaultSpec {
                status: Some(503),
                times: Some(2),
                ..FaultSpec::default()
            })
            .unwrap();
        assert!(faults.take("GET", "/invocations").is_some());
        assert!(faults.take("PATCH", "/invocations/x").is_some());
        assert!(faults.take("GET", "/invocations").is_none());
    }

    #[test]
    fn method_and_path_narrow_the_match() {
        let faults = Faults::default();
        let spec = FaultSpec {
            method: Some("patch".into()),
            path: Some("/invocations/".into()),
            drop: Some(true),
            ..FaultSpec::default()
        };
        faults.add(spec).unwrap();
        assert!(faults.take("GET", "/invocations/x").is_none());
        assert!(faults.take("PATCH", "/other").is_none());
        assert!(faults.take("PATCH", "/invocations/x").is_some());
    }

    #[test]
    fn numbers_are_checked_against_the_limits_not_wrapped() {
        let spec = FaultSpec::try_from(FaultOptions {
            status: Some(503.0),
            delay_ms: Some(10.0),
            times: Some(2.0),
            ..FaultOptions::default()
        })
        .unwrap();
        assert_eq!(
            (spec.status, spec.delay_ms, spec.times),
            (Some(503), Some(10), Some(2))
        );
        for (options, message) in [
            (
                FaultOptions {
                    status: Some(4294967296.0 + 503.0),
                    ..FaultOptions::default()
                },
                "invalid fault: status: expected an integer from 200 to 599, got 4294967799",
            ),
            (
                FaultOptions {
                    delay_ms: Some(-1.0),
                    ..FaultOptions::default()
                },
                "invalid fault: delayMs: expected an integer from 0 to 2147483647, got -1",
            ),
            (
                FaultOptions {
                    status: Some(500.0),
                    times: Some(1.5),
                    ..FaultOptions::default()
                },
                "invalid fault: times: expected an integer from 1 to 2147483647, got 1.5",
            ),
        ] {
            assert_eq!(
                FaultSpec::try_from(options).unwrap_err().to_string(),
                message
            );
        }
    }

    #[test]
    fn useless_or_broken_faults_are_refused() {
        let faults = Faults::default();
        assert!(faults.add(FaultSpec::default()).is_err());
        assert!(faults
            .add(FaultSpec {
                status: Some(99),
                ..FaultSpec::default()
            })
            .is_err());
        assert!(faults
            .add(FaultSpec {
                status: Some(500),
                times: Some(0),
                ..FaultSpec::default()
            })
            .is_err());
        assert!(faults
            .add(FaultSpec {
                status: Some(500),
                rate: Some(1.5),
                ..FaultSpec::default()
            })
            .is_err());
        let bad_header = HashMap::from([("x".to_owned(), "a\nb".to_owned())]);
        assert!(faults
            .add(FaultSpec {
                status: Some(500),
                headers: Some(bad_header),
                ..FaultSpec::default()
            })
            .is_err());
    }
}
