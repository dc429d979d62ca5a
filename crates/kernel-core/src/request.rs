//! What a call asks for: the caller's per-call settings, and what a resource hands the
//! transport to send.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http::Method;
use tokio_util::sync::CancellationToken;

use crate::log::Observer;

/// Settings for one call; unset fields take the client's.
#[derive(Clone, Default)]
pub struct RequestOptions {
    /// Per-attempt timeout, replacing the client's. For event streams it also bounds the
    /// silence between two reads.
    pub timeout: Option<Duration>,
    /// Retries after the first attempt, replacing the client's.
    pub max_retries: Option<u32>,
    /// Headers for this call; they win over the client's. `None` removes a header.
    pub headers: Vec<(String, Option<String>)>,
    /// Cancelling this token ends the call with [`Error::Aborted`] and drops its connection.
    pub cancel: Option<CancellationToken>,
    /// Receives this call's log records (request, response, retries, failure).
    pub observer: Option<Observer>,
    /// Sent as `Idempotency-Key` on every attempt of this call, so a server that honours it
    /// applies the call at most once however often it is retried.
    pub idempotency_key: Option<String>,
}

impl fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Header values may hold credentials: only their names are printed.
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("RequestOptions")
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("headers", &names)
            .field("cancel", &self.cancel.is_some())
            .field("observer", &self.observer.is_some())
            .field("idempotency_key", &self.idempotency_key)
            .finish()
    }
}

/// What a resource asks the transport to send. `path` is relative to the base URL and already
/// percent-encoded.
pub(crate) struct RequestSpec {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Bytes>,
    pub accept: Option<&'static str>,
}

impl RequestSpec {
    pub fn new(method: Method, path: String) -> Self {
        RequestSpec {
            method,
            path,
            query: Vec::new(),
            body: None,
            accept: None,
        }
    }
}
