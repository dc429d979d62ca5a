//! Result shapes that reach JS through serde (`crate::json`, which keeps unknown fields); these
//! structs exist to generate their TypeScript declarations in `index.d.ts`, so they are never
//! constructed here.
//!
//! Why not a cleaner way: the types must be generated from Rust (the project's rule), and
//! napi-rs generates declarations only from items it exports. Building these structs and
//! handing them to JS would set each property with its own napi call (several times slower
//! than `crate::json`'s one conversion) and drop the fields the API adds later; a
//! `ts_return_type` string instead would be unchecked text. So they stay declarations, and
//! `expect(dead_code)` fails the build the day one of them is used for real.
#![expect(
    dead_code,
    reason = "declarations for index.d.ts only; see the module comment"
)]

use napi_derive::napi;

use napi::bindgen_prelude::{Either, Null};

use crate::invocation::InvocationStatus;

/// What `client.invocations.create()` resolves to.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct InvocationCreateResponse {
    /// ID of the invocation.
    pub id: String,
    /// Name of the action invoked.
    #[napi(js_name = "action_name")]
    pub action_name: String,
    /// Status of the invocation.
    pub status: InvocationStatus,
    /// The return value of the action that was invoked, rendered as a JSON string.
    pub output: Option<String>,
    /// Status reason.
    #[napi(js_name = "status_reason")]
    pub status_reason: Option<String>,
}

/// A browser session created within an invocation. The API sends more optional fields than
/// these; every one of them is passed through.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct InvocationBrowser {
    /// Websocket URL for Chrome DevTools Protocol connections to the browser session.
    #[napi(js_name = "cdp_ws_url")]
    pub cdp_ws_url: String,
    /// When the browser session was created.
    #[napi(js_name = "created_at")]
    pub created_at: String,
    /// Whether the browser session is running in headless mode.
    pub headless: bool,
    /// Unique identifier for the browser session.
    #[napi(js_name = "session_id")]
    pub session_id: String,
    /// Whether the browser session is running in stealth mode.
    pub stealth: bool,
    /// The number of seconds of inactivity before the browser session is terminated.
    #[napi(js_name = "timeout_seconds")]
    pub timeout_seconds: f64,
    /// Websocket URL for WebDriver BiDi connections to the browser session.
    #[napi(js_name = "webdriver_ws_url")]
    pub webdriver_ws_url: String,
    /// Remote URL for live viewing the browser session (non-headless only).
    #[napi(js_name = "browser_live_view_url")]
    pub browser_live_view_url: Option<String>,
    /// Human-readable name of the browser session.
    pub name: Option<String>,
}

/// What `client.invocations.listBrowsers()` resolves to.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct InvocationListBrowsersResponse {
    pub browsers: Vec<InvocationBrowser>,
}

/// A log entry from the application.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct LogEvent {
    /// Event type identifier (always "log").
    #[napi(ts_type = "'log'")]
    pub event: String,
    /// Log message text.
    pub message: String,
    /// Time the log entry was produced.
    pub timestamp: String,
}

/// An event representing the current state of an invocation.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct InvocationStateEvent {
    /// Event type identifier (always "invocation_state").
    #[napi(ts_type = "'invocation_state'")]
    pub event: String,
    pub invocation: Invocation,
    /// Time the state was reported.
    pub timestamp: String,
}

/// Lower-level detail of an application error.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct ErrorDetail {
    /// Lower-level error code providing more specific detail.
    pub code: Option<String>,
    /// Further detail about the error.
    pub message: Option<String>,
}

/// An application error.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct ErrorModel {
    /// Application-specific error code (machine-readable).
    pub code: String,
    /// Human-readable error description for debugging.
    pub message: String,
    /// Additional error details (for multiple errors).
    pub details: Option<Vec<ErrorDetail>>,
    #[napi(js_name = "inner_error")]
    pub inner_error: Option<ErrorDetail>,
}

/// An error event from the application.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct ErrorEvent {
    pub error: ErrorModel,
    /// Event type identifier (always "error").
    #[napi(ts_type = "'error'")]
    pub event: String,
    /// Time the error occurred.
    pub timestamp: String,
}

/// Heartbeat event sent periodically to keep the connection alive.
#[napi(object, object_from_js = false, object_to_js = false)]
pub struct HeartbeatEvent {
    /// Event type identifier (always "sse_heartbeat").
    #[napi(ts_type = "'sse_heartbeat'")]
    pub event: String,
    /// Time the heartbeat was sent.
    pub timestamp: String,
}

/// An invocation, with every field the server sent (fields newer than this version too).
#[napi(object, object_from_js = false)]
pub struct Invocation {
    /// ID of the invocation.
    pub id: String,
    /// Name of the application.
    #[napi(js_name = "app_name")]
    pub app_name: String,
    /// Name of the action invoked.
    #[napi(js_name = "action_name")]
    pub action_name: String,
    /// Payload provided to the invocation. This is a string that can be parsed as JSON.
    pub payload: Option<String>,
    /// Output produced by the action, rendered as a JSON string. This could be: string,
    /// number, boolean, array, object, or null.
    pub output: Option<String>,
    /// RFC 3339 Nanoseconds timestamp when the invocation started.
    #[napi(js_name = "started_at")]
    pub started_at: String,
    /// RFC 3339 Nanoseconds timestamp when the invocation finished (null if still running).
    #[napi(js_name = "finished_at")]
    pub finished_at: Option<Either<String, Null>>,
    /// Status of the invocation.
    pub status: InvocationStatus,
    /// Status reason.
    #[napi(js_name = "status_reason")]
    pub status_reason: Option<String>,
    /// Version label for the application.
    pub version: String,
}
