//! The events of `GET /invocations/{id}/events`, decoded from Server-Sent Events.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::Error;
use crate::lenient::lenient;
use crate::sse::SseEvent;
use crate::wire::Invocation;

// Every event is decoded as `lenient.rs` says: a documented field that is missing, `null` or
// of another type is `None`, and (unless missing) in `extra` as sent.

/// A log line from the application.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LogEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The invocation's state, now or after a change.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct InvocationStateEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invocation: Option<Invocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A lower-level detail of an [`ErrorModel`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ErrorDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An application error.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ErrorModel {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<ErrorDetail>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner_error: Option<ErrorDetail>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An error reported by the application.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ErrorEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorModel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Sent periodically to keep the connection alive.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HeartbeatEvent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

lenient!(LogEvent {
    message: string,
    timestamp: string
});
lenient!(InvocationStateEvent {
    invocation: object,
    timestamp: string
});
lenient!(ErrorDetail {
    code: string,
    message: string
});
lenient!(ErrorModel {
    code: string,
    message: string,
    details: list,
    inner_error: object
});
lenient!(ErrorEvent {
    error: object,
    timestamp: string
});
lenient!(HeartbeatEvent { timestamp: string });

/// One event of an invocation's stream, tagged by its `event` field as on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event")]
pub enum FollowEvent {
    #[serde(rename = "log")]
    Log(LogEvent),
    #[serde(rename = "invocation_state")]
    InvocationState(InvocationStateEvent),
    #[serde(rename = "error")]
    Error(ErrorEvent),
    #[serde(rename = "sse_heartbeat")]
    Heartbeat(HeartbeatEvent),
}

const KNOWN: [&str; 4] = ["log", "invocation_state", "error", "sse_heartbeat"];

impl FollowEvent {
    /// Decodes one SSE event. `Ok(None)` for an event type this version does not know (the
    /// API may add some; SSE clients skip what they do not handle); a known type with the
    /// wrong shape, or data that is not a JSON object, is an error that says what is wrong.
    pub fn decode(raw: &SseEvent) -> Result<Option<FollowEvent>, Error> {
        let value: Value = serde_json::from_str(&raw.data)
            .map_err(|err| Error::Stream(format!("an event's data is not JSON ({err})")))?;
        let kind = match value.get("event") {
            Some(Value::String(kind)) => kind.clone(),
            _ => {
                return Err(Error::Stream(
                    "an event's data has no \"event\" type field".into(),
                ))
            }
        };
        if !KNOWN.contains(&kind.as_str()) {
            return Ok(None);
        }
        serde_json::from_value(value)
            .map(Some)
            .map_err(|err| Error::Stream(format!("a {kind:?} event is malformed ({err})")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(data: &str) -> SseEvent {
        SseEvent { data: data.into() }
    }

    #[test]
    fn known_events_decode_and_keep_extra_fields() {
        let log = FollowEvent::decode(&raw(
            r#"{"event":"log","message":"hi","timestamp":"t","level":"info"}"#,
        ))
        .unwrap();
        let Some(FollowEvent::Log(log)) = log else {
            panic!("{log:?}")
        };
        assert_eq!(log.message.as_deref(), Some("hi"));
        assert_eq!(log.extra["level"], "info");
        let beat =
            FollowEvent::decode(&raw(r#"{"event":"sse_heartbeat","timestamp":"t"}"#)).unwrap();
        assert!(matches!(beat, Some(FollowEvent::Heartbeat(_))));
        let error = FollowEvent::decode(&raw(r#"{"event":"error","timestamp":"t","error":{"code":"c","message":"m","details":[{"code":"d"}]}}"#)).unwrap();
        let Some(FollowEvent::Error(error)) = error else {
            panic!()
        };
        assert_eq!(
            error.error.unwrap().details.unwrap()[0].code.as_deref(),
            Some("d")
        );
        let value = serde_json::to_value(FollowEvent::Heartbeat(HeartbeatEvent {
            timestamp: Some("t".into()),
            extra: Map::new(),
        }))
        .unwrap();
        assert_eq!(
            value,
            serde_json::json!({"event": "sse_heartbeat", "timestamp": "t"})
        );
    }

    #[test]
    fn new_statuses_and_missing_fields_pass_through_as_sent() {
        for data in [
            r#"{"event":"log","message":"hi"}"#,
            r#"{"event":"log","timestamp":"t","message":{"rich":true}}"#,
            r#"{"event":"invocation_state","invocation":{"id":"i","status":"paused"},"timestamp":null}"#,
            r#"{"event":"error","error":"just text","timestamp":"t"}"#,
        ] {
            let event = FollowEvent::decode(&raw(data)).unwrap().expect(data);
            let sent: Value = serde_json::from_str(data).unwrap();
            assert_eq!(serde_json::to_value(&event).unwrap(), sent, "{data}");
        }
        let state = FollowEvent::decode(&raw(
            r#"{"event":"invocation_state","invocation":{"status":"paused"}}"#,
        ))
        .unwrap();
        let Some(FollowEvent::InvocationState(state)) = state else {
            panic!("{state:?}")
        };
        assert_eq!(
            state.invocation.unwrap().status,
            Some(crate::InvocationStatus::Other("paused".into()))
        );
    }

    #[test]
    fn unknown_types_are_skipped_and_broken_events_fail() {
        assert_eq!(
            FollowEvent::decode(&raw(r#"{"event":"metrics","cpu":1}"#)).unwrap(),
            None
        );
        for broken in [
            "not json",
            "[]",
            r#"{"message":"no type"}"#,
            r#"{"event":"log","message":"cut short"#,
        ] {
            assert!(
                matches!(FollowEvent::decode(&raw(broken)), Err(Error::Stream(_))),
                "{broken}"
            );
        }
    }
}
