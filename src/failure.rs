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
        let field = match &error {
            Error::InvalidInput { field, .. } => Some(*field),
            _ => None,
        };
        let mut failure = NativeFailure {
            kind,
            code: error.code(),
            field,
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
