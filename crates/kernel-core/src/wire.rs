//! The invocations API's JSON shapes: the parameters sent and the answers decoded. Every
//! answer keeps the fields this version does not know in `extra`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;

/// Where an invocation is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvocationStatus {
    /// Accepted, not started yet.
    Queued,
    /// Started, not finished.
    Running,
    /// Finished successfully.
    Succeeded,
    /// Finished with a failure (or cancelled).
    Failed,
}

impl InvocationStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            InvocationStatus::Queued => "queued",
            InvocationStatus::Running => "running",
            InvocationStatus::Succeeded => "succeeded",
            InvocationStatus::Failed => "failed",
        }
    }
}

impl fmt::Display for InvocationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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

/// An invocation as the API returns it. Fields this version does not know are kept in
/// `extra`, so nothing the server sent is lost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Invocation {
    /// ID of the invocation.
    pub id: String,
    /// Name of the application.
    pub app_name: String,
    /// Name of the action invoked.
    pub action_name: String,
    /// Payload provided to the invocation, a JSON string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    /// Output produced by the action, a JSON string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// RFC 3339 timestamp (nanoseconds) of the start.
    pub started_at: String,
    /// RFC 3339 timestamp of the end: `None` when absent, `Some(None)` when the server sent
    /// `null` (still running).
    #[serde(
        default,
        deserialize_with = "present_or_null",
        skip_serializing_if = "Option::is_none"
    )]
    pub finished_at: Option<Option<String>>,
    /// Status of the invocation.
    pub status: InvocationStatus,
    /// Why the invocation has its status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Version label of the application.
    pub version: String,
    /// Fields the server sent that this version does not know.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Serde folds `null` into the outer `None` of `Option<Option<T>>`; a present field, even
/// `null`, must become `Some`.
fn present_or_null<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
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

/// What `POST /invocations` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvocationCreateResponse {
    /// ID of the invocation.
    pub id: String,
    /// Name of the action invoked.
    pub action_name: String,
    /// Status of the invocation.
    pub status: InvocationStatus,
    /// The action's return value, a JSON string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Status reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Fields this version does not know.
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

/// A browser session created within an invocation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Browser {
    pub cdp_ws_url: String,
    pub created_at: String,
    pub headless: bool,
    pub session_id: String,
    pub stealth: bool,
    pub timeout_seconds: f64,
    pub webdriver_ws_url: String,
    /// The other, optional fields the API sends.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// What `GET /invocations/{id}/browsers` answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvocationListBrowsersResponse {
    pub browsers: Vec<Browser>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

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
        let mut with_null = sample();
        with_null["finished_at"] = Value::Null;
        let null: Invocation = serde_json::from_value(with_null).unwrap();
        assert_eq!(null.finished_at, Some(None));
        assert_eq!(
            serde_json::to_value(&null).unwrap()["finished_at"],
            Value::Null
        );
        let mut with_time = sample();
        with_time["finished_at"] = json!("2026-11-28T10:00:01Z");
        let done: Invocation = serde_json::from_value(with_time).unwrap();
        assert_eq!(done.finished_at, Some(Some("2026-11-28T10:00:01Z".into())));
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
    fn wrong_shapes_are_errors_not_defaults() {
        for broken in [
            json!({"id": "x"}),
            json!([]),
            {
                let mut v = sample();
                v["status"] = json!("done");
                v
            },
            {
                let mut v = sample();
                v["id"] = json!(5);
                v
            },
        ] {
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
}
