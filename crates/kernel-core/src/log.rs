//! What the transport reports about each call, for callers that want to log it. Messages
//! never hold header values; the Authorization header is always shown as `***`.

use std::fmt;
use std::sync::Arc;

/// Severity of a [`LogRecord`], lowest first. The transport reports requests and successes
/// at `Debug`, retries and failures at `Info` (the failure itself reaches the caller as an
/// error); it has nothing to say at higher levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Info,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
        }
    }
}

/// One thing worth logging: a request sent, a response, a retry, a failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRecord {
    pub level: LogLevel,
    pub message: String,
}

/// Receives the records of a call. It runs on the transport's task: keep it quick.
#[derive(Clone)]
pub struct Observer(pub Arc<dyn Fn(LogRecord) + Send + Sync>);

impl Observer {
    pub fn new(f: impl Fn(LogRecord) + Send + Sync + 'static) -> Self {
        Observer(Arc::new(f))
    }

    pub(crate) fn emit(&self, level: LogLevel, message: String) {
        (self.0)(LogRecord { level, message });
    }
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Observer")
    }
}

/// A short id tying together the records of one call, like `@onkernel/sdk`'s `log_1a2b3c`.
pub(crate) fn new_log_id() -> String {
    format!("log_{:06x}", fastrand::u32(..1 << 24))
}
