//! Failures cross into JS as a value, not a thrown error, so that status, headers and body
//! arrive typed; `lib/errors.js` turns one into the matching error class.

use std::collections::HashMap;

use kernel_core::Error;
use napi_derive::napi;
use serde_json::Value;

use crate::headers::headers_to_record;
use crate::json::Json;
use crate::logs::LogEntry;

/// A failed call, as data. `kind` names the public error class, `code` the core's variant.
#[napi]
pub struct NativeFailure {
    kind: &'static str,
    code: &'static str,
    field: Option<&'static str>,
    message: String,
    /// What the server answered, for `APIError` only: boxed, so other failures stay small.
    answer: Option<Box<Answer>>,
    logs: Vec<LogEntry>,
}

struct Answer {
    status: u32,
    headers: HashMap<String, String>,
    body: Option<Value>,
    text: Option<String>,
}

#[napi]
impl NativeFailure {
    /// The error class: `'KernelError'`, `'APIError'`, `'APIConnectionError'`,
    /// `'APIConnectionTimeoutError'` or `'APIUserAbortError'`.
    #[napi(
        getter,
        ts_return_type = "'KernelError' | 'APIError' | 'APIConnectionError' | 'APIConnectionTimeoutError' | 'APIUserAbortError'"
    )]
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The core's variant: `ERR_KERNEL_INVALID_INPUT`, `ERR_KERNEL_CONFIG`, `ERR_KERNEL_API`, ...
    #[napi(getter)]
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The argument or option at fault, for `ERR_KERNEL_INVALID_INPUT`.
    #[napi(getter)]
    pub fn field(&self) -> Option<&'static str> {
        self.field
    }

    /// The error message.
    #[napi(getter)]
    pub fn message(&self) -> String {
        self.message.clone()
    }

    /// The HTTP status, for `APIError`.
    #[napi(getter)]
    pub fn status(&self) -> Option<u32> {
        self.answer.as_ref().map(|answer| answer.status)
    }

    /// The response headers, for `APIError`; repeated headers are joined with `, `.
    #[napi(getter)]
    pub fn headers(&self) -> Option<HashMap<String, String>> {
        self.answer.as_ref().map(|answer| answer.headers.clone())
    }

    /// The response body parsed as JSON, for `APIError`.
    #[napi(getter, ts_return_type = "unknown")]
    pub fn body(&self) -> Option<Json> {
        self.answer.as_ref()?.body.clone().map(Json)
    }

    /// The call's log records, oldest first (empty unless logging was asked for).
    #[napi]
    pub fn take_logs(&mut self) -> Vec<LogEntry> {
        std::mem::take(&mut self.logs)
    }

    /// The response body as text when it was not JSON, for `APIError`.
    #[napi(getter)]
    pub fn text(&self) -> Option<String> {
        self.answer.as_ref()?.text.clone()
    }
}

impl NativeFailure {
    /// A `KernelError` that does not come from a call: the emulator's failures, say.
    pub fn kernel_error(code: &'static str, field: Option<&'static str>, message: String) -> Self {
        NativeFailure {
            kind: "KernelError",
            code,
            field,
            message,
            answer: None,
            logs: Vec::new(),
        }
    }

    pub fn with_logs(mut self, logs: Vec<LogEntry>) -> Self {
        self.logs = logs;
        self
    }
}

impl From<Error> for NativeFailure {
    fn from(error: Error) -> Self {
        let kind = match &error {
            Error::Api(_) => "APIError",
            Error::Connection { .. } => "APIConnectionError",
            Error::Timeout => "APIConnectionTimeoutError",
            Error::Aborted => "APIUserAbortError",
            _ => "KernelError",
        };
        let message = error.to_string();
        let error_code = error.code();
        let field = match &error {
            Error::InvalidInput { field, .. } => Some(*field),
            _ => None,
        };
        let answer = match error {
            Error::Api(api) => Some(Box::new(Answer {
                status: u32::from(api.status.as_u16()),
                headers: headers_to_record(&api.headers),
                body: api.body,
                text: api.text,
            })),
            _ => None,
        };
        NativeFailure {
            kind,
            code: error_code,
            field,
            message,
            answer,
            logs: Vec::new(),
        }
    }
}

/// `APIError.makeMessage` of `lib/errors.js`: the core builds every API error message, the
/// ones it raises and the ones JS code constructs, so the rule has one home.
#[napi]
pub fn api_error_message(
    status: Option<u32>,
    error: Option<Value>,
    message: Option<String>,
) -> String {
    let status = status.and_then(|status| u16::try_from(status).ok());
    kernel_core::api_error_message(status, error.as_ref(), message.as_deref())
}
