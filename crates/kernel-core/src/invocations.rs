//! The invocations resource: its wire types and calls.

use std::fmt;
use std::str::FromStr;

use http::{HeaderMap, Method, StatusCode};

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::client::Client;
use crate::error::Error;
use crate::http::{RequestOptions, RequestSpec, Response};
use crate::stream::EventStream;
use crate::url_path::encode_segment;

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

/// One page of an offset-paginated list, with what the server said about the next one.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// `X-Has-More`, when sent.
    pub has_more: Option<bool>,
    /// `X-Next-Offset`: the absolute offset of the next page, 0 on the last.
    pub next_offset: Option<u64>,
}

impl<T> Page<T> {
    /// The offset to ask for next, or `None` when this is the last page: `X-Has-More: false`,
    /// or `X-Next-Offset` absent or 0.
    pub fn next_page_offset(&self) -> Option<u64> {
        if self.has_more == Some(false) {
            return None;
        }
        self.next_offset.filter(|offset| *offset > 0)
    }
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

/// The invocations calls of a [`Client`].
pub struct Invocations<'a> {
    pub(crate) client: &'a Client,
}

fn id_path(id: &str, suffix: &str) -> Result<String, Error> {
    Ok(format!("invocations/{}{suffix}", encode_segment("id", id)?))
}

fn json_body(params: &impl Serialize) -> Result<Bytes, Error> {
    serde_json::to_vec(params)
        .map(Bytes::from)
        .map_err(|err| Error::invalid("params", format!("could not be encoded as JSON: {err}")))
}

fn non_empty(field: &'static str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must be a non-empty string"));
    }
    Ok(())
}

impl Invocations<'_> {
    /// `POST /invocations`: invokes an action.
    pub async fn create(
        &self,
        params: &InvocationCreateParams,
        options: &RequestOptions,
    ) -> Result<Response<InvocationCreateResponse>, Error> {
        non_empty("action_name", &params.action_name)?;
        non_empty("app_name", &params.app_name)?;
        non_empty("version", &params.version)?;
        if let Some(seconds) = params.async_timeout_seconds {
            if !(10..=3600).contains(&seconds) {
                return Err(Error::invalid(
                    "async_timeout_seconds",
                    format!("must be from 10 to 3600, got {seconds}"),
                ));
            }
        }
        let mut spec = RequestSpec::new(Method::POST, "invocations".to_owned());
        spec.body = Some(json_body(params)?);
        self.client
            .execute(spec, options)
            .await?
            .json("an invocation")
    }

    /// `GET /invocations/{id}`.
    pub async fn retrieve(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Response<Invocation>, Error> {
        let spec = RequestSpec::new(Method::GET, id_path(id, "")?);
        self.client
            .execute(spec, options)
            .await?
            .json("an invocation")
    }

    /// `PATCH /invocations/{id}`: sets a terminal status and, optionally, the output.
    ///
    /// Nothing is sent when `id` is empty or a dot segment.
    pub async fn update(
        &self,
        id: &str,
        params: &InvocationUpdateParams,
        options: &RequestOptions,
    ) -> Result<Response<Invocation>, Error> {
        let mut spec = RequestSpec::new(Method::PATCH, id_path(id, "")?);
        spec.body = Some(json_body(params)?);
        self.client
            .execute(spec, options)
            .await?
            .json("an invocation")
    }

    /// `GET /invocations`: one page; follow [`Page::next_page_offset`] for the next.
    pub async fn list(
        &self,
        params: &InvocationListParams,
        options: &RequestOptions,
    ) -> Result<Response<Page<Invocation>>, Error> {
        let mut spec = RequestSpec::new(Method::GET, "invocations".to_owned());
        let text_filters = [
            ("action_name", &params.action_name),
            ("app_name", &params.app_name),
            ("deployment_id", &params.deployment_id),
            ("query", &params.query),
            ("since", &params.since),
            ("version", &params.version),
        ];
        for (name, value) in text_filters {
            if let Some(value) = value {
                spec.query.push((name, value.clone()));
            }
        }
        if let Some(status) = params.status {
            spec.query.push(("status", status.as_str().to_owned()));
        }
        if let Some(limit) = params.limit {
            if limit == 0 {
                return Err(Error::invalid("limit", "must be at least 1"));
            }
            spec.query.push(("limit", limit.to_string()));
        }
        if let Some(offset) = params.offset {
            spec.query.push(("offset", offset.to_string()));
        }
        let response = self.client.execute(spec, options).await?;
        let (has_more, next_offset) = page_headers(response.status, &response.headers)?;
        let Response {
            data,
            status,
            headers,
            body,
        } = response.json("a list of invocations")?;
        let page = Page {
            items: data,
            has_more,
            next_offset,
        };
        Ok(Response {
            data: page,
            status,
            headers,
            body,
        })
    }

    /// `GET /invocations/{id}/events`: a stream of events until the invocation ends.
    pub async fn follow(
        &self,
        id: &str,
        params: &InvocationFollowParams,
        options: &RequestOptions,
    ) -> Result<Response<EventStream>, Error> {
        let mut spec = RequestSpec::new(Method::GET, id_path(id, "/events")?);
        spec.accept = Some("text/event-stream");
        if let Some(since) = &params.since {
            spec.query.push(("since", since.clone()));
        }
        let streaming = self.client.execute_streaming(spec, options).await?;
        let stream = EventStream::new(streaming.body, streaming.timeout);
        Ok(streaming.head.with_data(stream))
    }

    /// `GET /invocations/{id}/browsers`: the invocation's active browser sessions.
    pub async fn list_browsers(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Response<InvocationListBrowsersResponse>, Error> {
        let spec = RequestSpec::new(Method::GET, id_path(id, "/browsers")?);
        self.client
            .execute(spec, options)
            .await?
            .json("a list of browsers")
    }

    /// `DELETE /invocations/{id}/browsers`: deletes the invocation's browser sessions.
    pub async fn delete_browsers(
        &self,
        id: &str,
        options: &RequestOptions,
    ) -> Result<Response<()>, Error> {
        let mut spec = RequestSpec::new(Method::DELETE, id_path(id, "/browsers")?);
        spec.accept = Some("*/*");
        self.client.execute(spec, options).await
    }
}

/// Reads `X-Has-More` and `X-Next-Offset` of a list answer. Anything but `true`/`false`, or a
/// non-negative integer, is a [`Error::Decode`]; so is `X-Has-More: true` without an offset,
/// which would otherwise end the list silently.
pub(crate) fn page_headers(
    status: StatusCode,
    headers: &HeaderMap,
) -> Result<(Option<bool>, Option<u64>), Error> {
    let has_more = match headers.get("x-has-more").map(|v| v.as_bytes()) {
        None => None,
        Some(b"true") => Some(true),
        Some(b"false") => Some(false),
        Some(other) => {
            return Err(Error::Decode {
                status: status.as_u16(),
                expected: "an X-Has-More header of true or false",
                reason: format!("got {:?}", String::from_utf8_lossy(other)),
            })
        }
    };
    let next_offset = match headers.get("x-next-offset") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok())
                .ok_or_else(|| Error::Decode {
                    status: status.as_u16(),
                    expected: "an X-Next-Offset header holding a non-negative integer",
                    reason: format!("got {value:?}"),
                })?,
        ),
    };
    if has_more == Some(true) && next_offset.is_none() {
        return Err(Error::Decode {
            status: status.as_u16(),
            expected: "an X-Next-Offset header",
            reason: "the server sent X-Has-More: true without X-Next-Offset; refusing to truncate the list silently".into(),
        });
    }
    Ok((has_more, next_offset))
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
