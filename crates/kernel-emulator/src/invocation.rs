//! The invocation as the emulator stores and sends it: every documented field, always of its
//! documented type. The client's own type (`kernel_core::Invocation`) is lenient about what a
//! server sends; the emulator, being that server, is exact.

use kernel_core::InvocationStatus;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Invocation {
    pub id: String,
    pub app_name: String,
    pub action_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// RFC 3339 with nanoseconds.
    pub started_at: String,
    /// `null` until the invocation ends.
    pub finished_at: Option<String>,
    pub status: InvocationStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    pub version: String,
}
