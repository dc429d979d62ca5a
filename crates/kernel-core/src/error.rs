//! The one error type of the client: every failure is a typed value with its context.

use std::error::Error as StdError;
use std::fmt;

use http::{HeaderMap, StatusCode};
use serde_json::Value;

/// Why a call failed. The variants map one to one onto the error classes of `@onkernel/sdk`:
/// `InvalidInput`, `Config` and `Decode` are `KernelError`, `Api` is `APIError` (or its
/// subclass for the status), `Connection` is `APIConnectionError`, `Timeout` is
/// `APIConnectionTimeoutError` and `Aborted` is `APIUserAbortError`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The caller passed a value the API cannot take; nothing was sent.
    #[error("Invalid {field}: {reason}")]
    InvalidInput {
        /// The argument or field at fault, as the caller spells it (`id`, `status`, `timeout`).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The client options cannot make a working client.
    #[error("{0}")]
    Config(String),
    /// The server answered with a non-success status.
    #[error("{}", .0.message)]
    Api(Box<ApiError>),
    /// No complete answer arrived: connection refused or reset, DNS failure, body cut short.
    #[error("Connection error: {message}")]
    Connection {
        /// The transport's reason, with its causes.
        message: String,
    },
    /// An attempt took longer than its timeout.
    #[error("Request timed out.")]
    Timeout,
    /// The caller cancelled the request.
    #[error("Request was aborted.")]
    Aborted,
    /// An event stream broke its format: bad framing, bad UTF-8, an oversize or malformed
    /// event.
    #[error("Malformed event stream: {0}")]
    Stream(String),
    /// A success body was larger than the client's `max_response_bytes`; reading stopped
    /// there.
    #[error("The response body is larger than the {limit}-byte limit (maxResponseBytes); raise the limit if such answers are expected")]
    ResponseTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A success status came with a body that is not the documented JSON.
    #[error("Could not parse the response body (HTTP {status}) as {expected}: {reason}")]
    Decode {
        /// The HTTP status of the response.
        status: u16,
        /// What the body should have been.
        expected: &'static str,
        /// What the parser found wrong.
        reason: String,
    },
}

impl Error {
    /// An [`Error::InvalidInput`] for `field`; bindings use it for values they cannot convert.
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    /// Classifies a transport failure by what reqwest reports, never by its text.
    pub(crate) fn from_transport(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            return Error::Timeout;
        }
        Error::Connection {
            message: describe_chain(&err),
        }
    }

    /// A stable name for the variant, for programs to branch on instead of the message text:
    /// `ERR_KERNEL_` and the variant's name (JS errors carry it as `code`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "ERR_KERNEL_INVALID_INPUT",
            Error::Config(_) => "ERR_KERNEL_CONFIG",
            Error::Api(_) => "ERR_KERNEL_API",
            Error::Connection { .. } => "ERR_KERNEL_CONNECTION",
            Error::Timeout => "ERR_KERNEL_TIMEOUT",
            Error::Aborted => "ERR_KERNEL_ABORTED",
            Error::Stream(_) => "ERR_KERNEL_STREAM",
            Error::ResponseTooLarge { .. } => "ERR_KERNEL_RESPONSE_TOO_LARGE",
            Error::Decode { .. } => "ERR_KERNEL_DECODE",
        }
    }

    /// Whether a retry may fix this failure.
    pub(crate) fn is_retryable_transport(&self) -> bool {
        matches!(self, Error::Connection { .. } | Error::Timeout)
    }
}

/// reqwest's top-level text omits the cause ("error sending request"); the chain says why.
/// Only transport texts are joined here: they hold the URL but never request headers, so the
/// API key cannot appear.
fn describe_chain(err: &(dyn StdError + 'static)) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

/// A non-success answer from the API, with everything the server said.
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body parsed as JSON; `None` when it was empty or not JSON.
    pub body: Option<Value>,
    /// The body as text (trimmed, when not empty) when it was not JSON or was falsy JSON (`0`,
    /// `null`): what the SDK hands `APIError` as its `message` argument.
    pub text: Option<String>,
    /// `"<status> <server message>"`, built as `@onkernel/sdk` builds it.
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, headers: HeaderMap, raw_body: &[u8]) -> Self {
        let body: Option<Value> = serde_json::from_slice(raw_body).ok();
        // As the SDK does, the text stands in whenever the body is not JSON or is falsy JSON.
        let text = match &body {
            Some(json) if truthy(json) => None,
            _ => Some(String::from_utf8_lossy(raw_body).trim().to_owned())
                .filter(|text| !text.is_empty()),
        };
        let message = api_error_message(Some(status.as_u16()), body.as_ref(), text.as_deref());
        ApiError {
            status,
            headers,
            body,
            text,
            message,
        }
    }

    /// The `x-request-id` the server gave this response, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.headers
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
    }
}

/// The message of an API error, built as `@onkernel/sdk`'s `APIError.makeMessage` builds it:
/// the body's `message` when it is a non-empty string (or another truthy JSON value, as JSON),
/// else the whole JSON body, else the body's text; prefixed with the status. `lib/errors.js`
/// calls this too (`APIError.makeMessage`), so the rule has one home.
pub fn api_error_message(status: Option<u16>, body: Option<&Value>, text: Option<&str>) -> String {
    let field = body
        .and_then(|body| body.get("message"))
        .filter(|m| truthy(m));
    let shown = match (field, body) {
        (Some(Value::String(message)), _) => Some(message.clone()),
        (Some(message), _) => Some(message.to_string()),
        (None, Some(body)) if truthy(body) => Some(body.to_string()),
        _ => text.filter(|text| !text.is_empty()).map(str::to_owned),
    };
    match (status.filter(|status| *status != 0), shown) {
        (Some(status), Some(shown)) => format!("{status} {shown}"),
        (Some(status), None) => format!("{status} status code (no body)"),
        (None, Some(shown)) => shown,
        (None, None) => "(no status code or body)".to_owned(),
    }
}

/// Whether JavaScript would take `value` as true: the SDK's tests are JS truthiness.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64() != Some(0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.status)
            .field("message", &self.message)
            .field("request_id", &self.request_id())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(status: u16, body: &str) -> String {
        ApiError::new(
            StatusCode::from_u16(status).unwrap(),
            HeaderMap::new(),
            body.as_bytes(),
        )
        .message
    }

    #[test]
    fn message_uses_the_server_message_field() {
        assert_eq!(
            message(
                404,
                r#"{"code":"not_found","message":"no such invocation"}"#
            ),
            "404 no such invocation"
        );
    }

    #[test]
    fn message_falls_back_to_the_json_or_the_text() {
        assert_eq!(message(400, r#"{"code":"x"}"#), r#"400 {"code":"x"}"#);
        assert_eq!(message(502, "Bad gateway\n"), "502 Bad gateway");
        assert_eq!(message(500, ""), "500 status code (no body)");
        assert_eq!(message(409, r#"{"message":{"a":1}}"#), r#"409 {"a":1}"#);
    }

    #[test]
    fn message_follows_the_sdk_for_falsy_messages_and_keeps_key_order() {
        // A falsy `message` ("" , 0, false, null) is not a message: the SDK shows the body.
        assert_eq!(message(500, r#"{"message":""}"#), r#"500 {"message":""}"#);
        assert_eq!(message(500, r#"{"message":0}"#), r#"500 {"message":0}"#);
        assert_eq!(
            message(500, r#"{"message":false,"z":1,"a":2}"#),
            r#"500 {"message":false,"z":1,"a":2}"#
        );
        assert_eq!(message(500, "0"), "500 0");
        assert_eq!(
            api_error_message(None, None, None),
            "(no status code or body)"
        );
        assert_eq!(api_error_message(None, None, Some("boom")), "boom");
    }

    #[test]
    fn non_json_body_is_not_parsed() {
        let err = ApiError::new(StatusCode::BAD_GATEWAY, HeaderMap::new(), b"<html>");
        assert!(err.body.is_none());
    }
}
