//! Scripted misbehaviour: the next `times` matching requests get a status, a delay or a
//! dropped connection instead of the normal answer.

use std::collections::HashMap;
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
    /// Close the connection without answering.
    pub drop: Option<bool>,
    /// How many matching requests it applies to; default 1.
    pub times: Option<u32>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid fault: {0}")]
pub struct FaultError(pub String);

impl FaultSpec {
    fn check(&self) -> Result<(), FaultError> {
        if self.status.is_none() && self.delay_ms.is_none() && self.drop != Some(true) {
            return Err(FaultError("give status, delayMs or drop: true".into()));
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

/// The faults still to fire, in the order they were added.
#[derive(Default)]
pub struct Faults {
    pending: Mutex<Vec<(FaultSpec, u32)>>,
}

impl Faults {
    pub fn add(&self, spec: FaultSpec) -> Result<(), FaultError> {
        spec.check()?;
        let times = spec.times.unwrap_or(1);
        self.lock().push((spec, times));
        Ok(())
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    /// The first pending fault matching this request, used up by one.
    pub fn take(&self, method: &str, path: &str) -> Option<FaultSpec> {
        let mut pending = self.lock();
        let index = pending
            .iter()
            .position(|(spec, _)| spec.matches(method, path))?;
        let (spec, remaining) = &mut pending[index];
        let fired = spec.clone();
        *remaining -= 1;
        if *remaining == 0 {
            pending.remove(index);
        }
        Some(fired)
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
