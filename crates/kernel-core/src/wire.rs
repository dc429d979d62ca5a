//! The invocations API's JSON shapes: the parameters sent and the answers decoded. Every
//! answer keeps the fields this version does not know in `extra`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::lenient::lenient;

/// Where an invocation is in its life. A status this version does not know (the API may add
/// some) is kept as [`InvocationStatus::Other`], spelled as the server sent it, never refused.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum InvocationStatus {
    /// Accepted, not started yet.
    Queued,
    /// Started, not finished.
    Running,
    /// Finished successfully.
    Succeeded,
    /// Finished with a failure (or cancelled).
    Failed,
    /// A status newer than this version.
    Other(String),
}

impl InvocationStatus {
    /// The wire spelling.
    pub fn as_str(&self) -> &str {
        match self {
            InvocationStatus::Queued => "queued",
            InvocationStatus::Running => "running",
            InvocationStatus::Succeeded => "succeeded",
            InvocationStatus::Failed => "failed",
            InvocationStatus::Other(status) => status,
        }
    }

    fn from_wire(status: String) -> Self {
        match status.as_str() {
            "queued" => InvocationStatus::Queued,
            "running" => InvocationStatus::Running,
            "succeeded" => InvocationStatus::Succeeded,
            "failed" => InvocationStatus::Failed,
            _ => InvocationStatus::Other(status),
        }
    }
}

impl fmt::Display for InvocationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for InvocationStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for InvocationStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(InvocationStatus::from_wire)
    }
}

/// The statuses an update may set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UpdateStatus {
    /// Mark the invocation succeeded.
    Succeeded,
    /// Mark the invocation failed (this also cancels it).
    Failed,
}

impl FromStr for UpdateStatus {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self, Error> {
        match value {
            "succeeded" => Ok(UpdateStatus::Succeeded),
            "failed" => Ok(UpdateStatus::Failed),
            other => Err(Error::invalid(
                "status",
                format!("expected 'succeeded' or 'failed', got {other:?}"),
            )),
        }
    }
}

/// Body of `PATCH /invocations/{id}`: exactly the fields given are sent.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InvocationUpdateParams {
    /// The new, terminal status.
    pub status: UpdateStatus,
    /// The action's result as a JSON string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
}

/// An invocation as the API returns it, decoded as `lenient.rs` says: each documented field is
/// `None` when the server left it out, sent `null` or sent another JSON type, and then (unless
/// left out) it is in `extra` as sent, with the fields this version does not know.
/// Serializing gives back every field the server sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Invocation {
    /// ID of the invocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name of the application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
    /// Name of the action invoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_name: Option<String>,
    /// Payload provided to the invocation, a JSON string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// Output produced by the action, a JSON string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// RFC 3339 timestamp (nanoseconds) of the start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// RFC 3339 timestamp of the end. While the invocation runs the API sends `null`: then
    /// this is `None` and `extra["finished_at"]` is `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Status of the invocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<InvocationStatus>,
    /// Why the invocation has its status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Version label of the application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Fields the server sent that this version does not know, or not with the documented type.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl FromStr for InvocationStatus {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self, Error> {
        match value {
            "queued" => Ok(InvocationStatus::Queued),
            "running" => Ok(InvocationStatus::Running),
            "succeeded" => Ok(InvocationStatus::Succeeded),
            "failed" => Ok(InvocationStatus::Failed),
            other => Err(Error::invalid(
                "status",
                format!("expected 'queued', 'running', 'succeeded' or 'failed', got {other:?}"),
            )),
        }
    }
}

/// Body of `POST /invocations`: exactly the fields given are sent.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct InvocationCreateParams {
    /// Name of the action to invoke.
    pub action_name: String,
    /// Name of the application.
    pub app_name: String,
    /// Version of the application.
    pub version: String,
    /// If true, invoke asynchronously: the API answers 202 with status `queued`.
    #[serde(rename = "async", skip_serializing_if = "Option::is_none")]
    pub is_async: Option<bool>,
    /// Timeout in seconds for async invocations (10 to 3600).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub async_timeout_seconds: Option<u32>,
    /// Input data for the action, a JSON string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

/// What `POST /invocations` answers, decoded as [`Invocation`] is.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct InvocationCreateResponse {
    /// ID of the invocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Name of the action invoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action_name: Option<String>,
    /// Status of the invocation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<InvocationStatus>,
    /// The action's return value, a JSON string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Status reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Fields this version does not know, or not with the documented type.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Query of `GET /invocations`; unset filters match everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InvocationListParams {
    pub action_name: Option<String>,
    pub app_name: Option<String>,
    pub deployment_id: Option<String>,
    /// Part of the id, app name or action name.
    pub query: Option<String>,
    /// An RFC 3339 time or a duration back from now, like `5m`.
    pub since: Option<String>,
    pub status: Option<InvocationStatus>,
    pub version: Option<String>,
    /// Page size (at least 1).
    pub limit: Option<u32>,
    /// Items to skip.
    pub offset: Option<u64>,
}

/// A browser session created within an invocation, decoded as [`Invocation`] is.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Browser {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cdp_ws_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub headless: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stealth: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webdriver_ws_url: Option<String>,
    /// The other fields the API sends, and documented ones of another type.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What `GET /invocations/{id}/browsers` answers.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct InvocationListBrowsersResponse {
    /// `None` unless `browsers` is a list of objects (then it is in `extra` as sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browsers: Option<Vec<Browser>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient!(Invocation {
    id: string,
    app_name: string,
    action_name: string,
    payload: string,
    output: string,
    started_at: string,
    finished_at: string,
    status: object,
    status_reason: string,
    version: string,
});
lenient!(InvocationCreateResponse {
    id: string,
    action_name: string,
    status: object,
    output: string,
    status_reason: string,
});
lenient!(Browser {
    cdp_ws_url: string,
    created_at: string,
    headless: bool,
    session_id: string,
    stealth: bool,
    timeout_seconds: number,
    webdriver_ws_url: string,
});
lenient!(InvocationListBrowsersResponse { browsers: list });

/// Query of `GET /invocations/{id}/events`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InvocationFollowParams {
    /// Show logs since this RFC 3339 time or duration (`5m`).
    pub since: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "id": "rr33xuugxj9h0bkf1rdt2bet",
            "app_name": "my-app",
            "action_name": "analyze",
            "started_at": "2026-11-28T10:00:00.123456789Z",
            "status": "running",
            "version": "1.0.0"
        })
    }

    #[test]
    fn finished_at_null_stays_null_and_absent_stays_absent() {
        let absent: Invocation = serde_json::from_value(sample()).unwrap();
        assert_eq!(absent.finished_at, None);
        assert!(!absent.extra.contains_key("finished_at"));
        let mut with_null = sample();
        with_null["finished_at"] = Value::Null;
        let null: Invocation = serde_json::from_value(with_null.clone()).unwrap();
        assert_eq!(null.finished_at, None);
        assert_eq!(null.extra["finished_at"], Value::Null);
        assert_eq!(serde_json::to_value(&null).unwrap(), with_null);
        let mut with_time = sample();
        with_time["finished_at"] = json!("2026-11-28T10:00:01Z");
        let done: Invocation = serde_json::from_value(with_time).unwrap();
        assert_eq!(done.finished_at.as_deref(), Some("2026-11-28T10:00:01Z"));
    }

    #[test]
    fn unknown_fields_are_kept() {
        let mut value = sample();
        value["region"] = json!("eu");
        value["nested"] = json!({"a": [1, 2]});
        let invocation: Invocation = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(invocation.extra["region"], json!("eu"));
        assert_eq!(serde_json::to_value(&invocation).unwrap(), value);
    }

    #[test]
    fn what_may_be_new_passes_through_and_only_a_non_object_fails() {
        let mut changed = sample();
        changed["status"] = json!("cancelled");
        changed["payload"] = json!({"a": 1});
        changed["started_at"] = Value::Null;
        changed.as_object_mut().unwrap().remove("version");
        let invocation: Invocation = serde_json::from_value(changed.clone()).unwrap();
        assert_eq!(
            invocation.status,
            Some(InvocationStatus::Other("cancelled".into()))
        );
        assert_eq!(invocation.payload, None);
        assert_eq!(invocation.extra["payload"], json!({"a": 1}));
        assert_eq!(invocation.started_at, None);
        assert_eq!(invocation.version, None);
        assert_eq!(serde_json::to_value(&invocation).unwrap(), changed);
        for broken in [json!([]), json!("text"), json!(5), Value::Null] {
            assert!(serde_json::from_value::<Invocation>(broken).is_err());
        }
    }

    #[test]
    fn update_params_send_exactly_the_given_fields() {
        let bare = InvocationUpdateParams {
            status: UpdateStatus::Failed,
            output: None,
        };
        assert_eq!(
            serde_json::to_string(&bare).unwrap(),
            r#"{"status":"failed"}"#
        );
        let full = InvocationUpdateParams {
            status: UpdateStatus::Succeeded,
            output: Some("{\"ok\":true}".into()),
        };
        assert_eq!(
            serde_json::to_value(&full).unwrap(),
            json!({"status": "succeeded", "output": "{\"ok\":true}"})
        );
    }

    #[test]
    fn update_status_parses_only_terminal_statuses() {
        assert_eq!(
            "succeeded".parse::<UpdateStatus>().unwrap(),
            UpdateStatus::Succeeded
        );
        assert_eq!(
            "failed".parse::<UpdateStatus>().unwrap(),
            UpdateStatus::Failed
        );
        for bad in ["done", "running", "SUCCEEDED", ""] {
            assert!(matches!(
                bad.parse::<UpdateStatus>(),
                Err(Error::InvalidInput {
                    field: "status",
                    ..
                })
            ));
        }
    }

    /// The check accepts what decoding accepts, and fails with the same text otherwise.
    #[test]
    fn check_object_agrees_with_decoding() {
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        let cases: Vec<&[u8]> = vec![
            br#"{"id":"a","status":"succeeded","extra":{"n":[1,2.5,-3,true,null]}}"#,
            br#"{"id":"a","id":"b"}"#,
            br#"  {}  "#,
            br#"{"__proto__":{"x":1}}"#,
            br#"{"a":"\u00e9\ud83d\ude00\n"}"#,
            b"",
            b"   ",
            b"[]",
            b"[{}]",
            b"5",
            b"-1.5",
            b"\"text\"",
            b"null",
            b"true",
            b"{",
            br#"{"a":}"#,
            br#"{"a":1,}"#,
            br#"{"a":1} x"#,
            br#"{"a":1}{}"#,
            br#"{a:1}"#,
            br#"{"a":1e400}"#,
            br#"{"a":-1e400}"#,
            br#"{"a":"\ud800"}"#,
            br#"{"a":"\x"}"#,
            b"{\"a\":\"\xff\"}",
            b"{\"\xff\":1}",
            br#"{"a":"tab	here"}"#,
            br#"{"a":01}"#,
            deep.as_bytes(),
        ];
        for body in cases {
            let decoded = serde_json::from_slice::<Invocation>(body).map(|_| ());
            let checked = crate::lenient::check_object(body);
            assert_eq!(
                decoded.map_err(|err| err.to_string()),
                checked.map_err(|err| err.to_string()),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
