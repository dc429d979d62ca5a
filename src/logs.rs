//! A call's log records, collected on the I/O thread and handed to JS with its outcome, where
//! `lib/logging.js` passes them to the caller's logger.

use std::sync::{Arc, Mutex};

use kernel_core::{LogRecord, Observer};
use napi_derive::napi;

/// One log record of a call.
#[napi(object, object_from_js = false)]
pub struct LogEntry {
    #[napi(ts_type = "'debug' | 'info'")]
    pub level: &'static str,
    pub message: String,
}

/// Collects a call's log records when the JS layer asked for them.
#[derive(Clone, Default)]
pub struct LogSink(Option<Arc<Mutex<Vec<LogRecord>>>>);

impl LogSink {
    pub fn new(enabled: bool) -> Self {
        LogSink(enabled.then(Default::default))
    }

    pub fn observer(&self) -> Option<Observer> {
        let records = self.0.clone()?;
        Some(Observer::new(move |record| {
            if let Ok(mut records) = records.lock() {
                records.push(record);
            }
        }))
    }

    pub fn take(&self) -> Vec<LogEntry> {
        let Some(records) = &self.0 else {
            return Vec::new();
        };
        let records = match records.lock() {
            Ok(mut records) => std::mem::take(&mut *records),
            Err(_) => Vec::new(),
        };
        records
            .into_iter()
            .map(|record| LogEntry {
                level: record.level.as_str(),
                message: record.message,
            })
            .collect()
    }
}
