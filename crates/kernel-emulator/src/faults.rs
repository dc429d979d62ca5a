//! Scripted misbehaviour: the next `times` matching requests (or a random `rate` of them) get a
//! status, a delay or a dropped connection instead of the normal answer, or lose their answer
//! after being applied.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::Deserialize;
use serde_json::Value;

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
            if !(rate > 0.0 && rate <= 1.0) {
                return Err(FaultError(format!(
                    "rate {rate} is not above 0 and at most 1"
                )));
            }
        }
        if let Some(status) = self.status {
            if !(200..=599).contains(&status) {
                return Err(FaultError(format!(
                    "status {status} is not between 200 and 599"
                )));
            }
        }
        if self.times == Some(0) {
            return Err(FaultError("times must be at least 1".into()));
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
