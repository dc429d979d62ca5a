//! Failures cross into JS as a value, not a thrown error, so that status, headers and body
//! arrive typed; `lib/errors.js` turns one into the matching error class.

use std::collections::HashMap;

use kernel_core::Error;
use napi_derive::napi;
use serde_json::Value;

use crate::headers::headers_to_record;
use crate::json::Json;
use crate::logs::LogEntry;

/// A failed call, as data. `kind` names the public error class.
#[napi]
pub struct NativeFailure {
    kind: &'static str,
    message: String,
    status: Option<u32>,
    headers: Option<HashMap<String, String>>,
    body: Option<Value>,
    text: Option<String>,
    logs: Vec<LogEntry>,
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

    /// The error message.
    #[napi(getter)]
    pub fn message(&self) -> String {
        self.message.clone()
    }

    /// The HTTP status, for `APIError`.
    #[napi(getter)]
    pub fn status(&self) -> Option<u32> {
        self.status
    }

    /// The response headers, for `APIError`; repeated headers are joined with `, `.
    #[napi(getter)]
    pub fn headers(&self) -> Option<HashMap<String, String>> {
        self.headers.clone()
    }

    /// The response body parsed as JSON, for `APIError`.
    #[napi(getter, ts_return_type = "unknown")]
    pub fn body(&self) -> Option<Json> {
        self.body.clone().map(Json)
    }

    /// The call's log records, oldest first (empty unless logging was asked for).
    #[napi]
    pub fn take_logs(&mut self) -> Vec<LogEntry> {
        std::mem::take(&mut self.logs)
    }

    /// The response body as text when it was not JSON, for `APIError`.
    #[napi(getter)]
    pub fn text(&self) -> Option<String> {
        self.text.clone()
    }
}

impl NativeFailure {
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
        let mut failure = NativeFailure {
            kind,
            message,
            status: None,
            headers: None,
            body: None,
            text: None,
            logs: Vec::new(),
        };
        if let Error::Api(api) = error {
            failure.status = Some(u32::from(api.status.as_u16()));
            failure.headers = Some(headers_to_record(&api.headers));
            failure.body = api.body;
            failure.text = api.text;
        }
        failure
    }
}
