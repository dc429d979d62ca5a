//! Shared pieces of the benchmark binaries.

/// The answer the responder gives to every request: an invocation as `PATCH` returns it.
pub const INVOCATION: &str = r#"{"id":"rr33xuugxj9h0bkf1rdt2bet","app_name":"my-app","action_name":"analyze","output":"{\"ok\":true}","started_at":"2026-11-28T10:00:00.123456789Z","finished_at":"2026-11-28T10:00:01.987654321Z","status":"succeeded","status_reason":"Marked succeeded by an update","version":"1.0.0"}"#;
