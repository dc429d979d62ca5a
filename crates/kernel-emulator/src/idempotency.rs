//! `Idempotency-Key` and the journal. A mutating request that carries a key is applied at most
//! once: a retry with the same key and the same request gets the first answer again (marked
//! `idempotent-replayed: true`), a different request under a used key is refused (422), and a
//! retry that arrives while the first is still being handled is told to try again (409). Every
//! applied mutation is written to the journal, so tests can check that nothing was lost or
//! applied twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Value};

use crate::limits::MAX_BODY_BYTES;

/// The request a key was first used for: a retry must repeat it exactly.
#[derive(Clone, PartialEq, Eq)]
struct Fingerprint {
    method: Method,
    path: String,
    body: Bytes,
}

enum Entry {
    InFlight(Fingerprint),
    Done {
        fingerprint: Fingerprint,
        status: StatusCode,
        body: Bytes,
    },
}

impl Entry {
    fn fingerprint(&self) -> &Fingerprint {
        match self {
            Entry::InFlight(fingerprint) | Entry::Done { fingerprint, .. } => fingerprint,
        }
    }
}

/// One applied mutation.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    /// 1, 2, 3, ... in the order the mutations were applied.
    pub seq: u64,
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
    /// The status of the answer.
    pub status: u16,
    /// `id` and `status` of the invocation the answer carried, if any.
    pub invocation_id: Option<String>,
    pub invocation_status: Option<String>,
}

/// Keys seen, the journal, and how many answers were replayed.
#[derive(Default)]
pub struct Idempotency {
    keys: Mutex<HashMap<String, Entry>>,
    journal: Mutex<Vec<JournalEntry>>,
    replayed: Mutex<u64>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every change under these locks is a single insert or push: a poisoned lock is consistent.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Idempotency {
    /// The applied mutations, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        lock(&self.journal).clone()
    }

    /// How many answers were replayed for a repeated key.
    pub fn replayed(&self) -> u64 {
        *lock(&self.replayed)
    }

    fn record(
        &self,
        fingerprint: &Fingerprint,
        key: Option<String>,
        status: StatusCode,
        body: &[u8],
    ) {
        let answer: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let text = |name: &str| answer.get(name).and_then(Value::as_str).map(str::to_owned);
        let mut journal = lock(&self.journal);
        let seq = journal.len() as u64 + 1;
        journal.push(JournalEntry {
            seq,
            method: fingerprint.method.to_string(),
            path: fingerprint.path.clone(),
            idempotency_key: key,
            status: status.as_u16(),
            invocation_id: text("id"),
            invocation_status: text("status"),
        });
    }
}

/// Takes the key back if the request ends without an answer to store (its client went away).
struct InFlightGuard<'a> {
    state: &'a Idempotency,
    key: Option<String>,
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            lock(&self.state.keys).remove(&key);
        }
    }
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "code": code, "message": message })),
    )
        .into_response()
}

/// The middleware: applies keys to POST, PATCH and DELETE, and journals what they applied.
/// Its state is the [`Idempotency`] store alone.
pub async fn idempotent(
    State(ledger): State<Arc<Idempotency>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    if !matches!(method, Method::POST | Method::PATCH | Method::DELETE) {
        return next.run(request).await;
    }
    let key = match request
        .headers()
        .get("idempotency-key")
        .map(HeaderValue::to_str)
    {
        None => None,
        Some(Ok(key)) if !key.is_empty() && key.len() <= 255 => Some(key.to_owned()),
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
        }
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_BODY_BYTES).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            &format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        );
    };
    let fingerprint = Fingerprint {
        method,
        path: parts.uri.path().to_owned(),
        body: body.clone(),
    };
    let mut guard = InFlightGuard {
        state: &ledger,
        key: None,
    };
    if let Some(key) = &key {
        let mut keys = lock(&ledger.keys);
        match keys.get(key) {
            Some(entry) if entry.fingerprint() != &fingerprint => {
                return error(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_key_reused",
                    "this Idempotency-Key was used for a different request",
                )
            }
            Some(Entry::InFlight(_)) => {
                return error(
                    StatusCode::CONFLICT,
                    "idempotency_key_in_use",
                    "a request with this Idempotency-Key is still being handled; retry",
                )
            }
            Some(Entry::Done { status, body, .. }) => {
                *lock(&ledger.replayed) += 1;
                let mut response = (*status, body.clone()).into_response();
                let headers = response.headers_mut();
                headers.insert("content-type", HeaderValue::from_static("application/json"));
                headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
                return response;
            }
            None => {
                keys.insert(key.clone(), Entry::InFlight(fingerprint.clone()));
                guard.key = Some(key.clone());
            }
        }
    }

    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let (parts, body) = response.into_parts();
    let Ok(body) = to_bytes(body, usize::MAX).await else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the answer could not be read",
        );
    };
    let status = parts.status;
    if status.is_success() {
        ledger.record(&fingerprint, key.clone(), status, &body);
    }
    // A server error leaves the key free (the guard removes it when it drops), so a retry is
    // handled afresh.
    if status.is_server_error() {
        return Response::from_parts(parts, Body::from(body));
    }
    if let Some(key) = guard.key.take() {
        lock(&ledger.keys).insert(
            key,
            Entry::Done {
                fingerprint,
                status,
                body: body.clone(),
            },
        );
    }
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::post;
    use axum::Router;
    use std::sync::atomic::{AtomicU32, Ordering};
    use tower::ServiceExt;

    /// No route answers 5xx today, so the middleware is driven with a handler that does.
    #[tokio::test]
    async fn a_server_error_leaves_the_key_free_for_the_retry() {
        let ledger = Arc::new(Idempotency::default());
        let calls = Arc::new(AtomicU32::new(0));
        let counted = calls.clone();
        let app = Router::new()
            .route(
                "/x",
                post(move || {
                    let n = counted.fetch_add(1, Ordering::SeqCst);
                    async move {
                        if n == 0 {
                            StatusCode::SERVICE_UNAVAILABLE
                        } else {
                            StatusCode::OK
                        }
                    }
                }),
            )
            .route_layer(axum::middleware::from_fn_with_state(
                ledger.clone(),
                idempotent,
            ));
        let send = || {
            Request::post("/x")
                .header("idempotency-key", "k1")
                .body(Body::from("{}"))
                .unwrap()
        };
        let first = app.clone().oneshot(send()).await.unwrap();
        assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
        let retry = app.clone().oneshot(send()).await.unwrap();
        assert_eq!(
            retry.status(),
            StatusCode::OK,
            "the retry was not handled afresh"
        );
        let replay = app.oneshot(send()).await.unwrap();
        assert_eq!(replay.headers().get("idempotent-replayed").unwrap(), "true");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(ledger.journal().len(), 1);
    }
}
