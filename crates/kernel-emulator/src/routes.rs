//! The HTTP API: routes, authentication, body checks and the `{code, message}` error bodies.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use kernel_core::{InvocationStatus, UpdateStatus};
use serde_json::{json, Map, Value};
use subtle::ConstantTimeEq;

use crate::faults::{apply_delay, FaultOptions, FaultSpec, Faults};
use crate::idempotency::{idempotent, Idempotency};
use crate::invocation::Invocation;
use crate::limits::MAX_BODY_BYTES;
use crate::store::{CreateRequest, ListFilter, Store, UpdateError};
use crate::{sse, time_format};

/// What every handler shares.
pub struct AppState {
    pub store: Store,
    pub faults: Faults,
    /// Shared with the idempotency middleware, whose state it is.
    pub idempotency: Arc<Idempotency>,
    /// Requests received, faulted or not (the `/_emulator/` routes excepted).
    pub requests: std::sync::atomic::AtomicU64,
    pub api_key: String,
    pub heartbeat: std::time::Duration,
}

/// An error answer: `{"code": ..., "message": ...}` with a status.
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    fn not_found(id: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("invocation {id} not found"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({ "code": self.code, "message": self.message }));
        (self.status, body).into_response()
    }
}

pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/invocations", post(create).get(list))
        .route("/invocations/{id}", get(retrieve).patch(update))
        .route("/invocations/{id}/events", get(follow))
        .route(
            "/invocations/{id}/browsers",
            get(list_browsers).delete(delete_browsers),
        )
        // Layers run last-added first: authentication, idempotency keys, fault delays.
        .route_layer(middleware::from_fn(apply_delay))
        .route_layer(middleware::from_fn_with_state(
            state.idempotency.clone(),
            idempotent,
        ))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .merge(api)
        .route("/_emulator/faults", post(add_fault).delete(clear_faults))
        .route("/_emulator/journal", get(journal))
        .route("/_emulator/stats", get(stats))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
        .with_state(state)
}

/// The bearer token is compared in constant time, so timing reveals nothing about the key.
async fn authenticate(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| {
            // The scheme name is case-insensitive (RFC 9110).
            let value = value.as_bytes();
            (value.len() > 7 && value[..7].eq_ignore_ascii_case(b"bearer ")).then(|| &value[7..])
        });
    let valid = presented.is_some_and(|token| bool::from(token.ct_eq(state.api_key.as_bytes())));
    if !valid {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or invalid bearer token",
        )
        .into_response();
    }
    next.run(request).await
}

/// Reads a JSON object body of at most [`MAX_BODY_BYTES`].
async fn json_object(body: Body) -> Result<Map<String, Value>, ApiError> {
    let bytes: Bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is larger than {MAX_BODY_BYTES} bytes"),
            )
        })?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(ApiError::bad_request("the body must be a JSON object")),
        Err(err) => Err(ApiError::bad_request(format!(
            "the body is not valid JSON: {err}"
        ))),
    }
}

fn reject_unknown(fields: &Map<String, Value>, known: &[&str]) -> Result<(), ApiError> {
    match fields.keys().find(|key| !known.contains(&key.as_str())) {
        Some(key) => Err(ApiError::bad_request(format!("unknown field {key:?}"))),
        None => Ok(()),
    }
}

fn string_field(
    fields: &Map<String, Value>,
    name: &str,
    required: bool,
) -> Result<Option<String>, ApiError> {
    match fields.get(name) {
        None if required => Err(ApiError::bad_request(format!("{name} is required"))),
        None => Ok(None),
        Some(Value::String(text)) if required && text.is_empty() => {
            Err(ApiError::bad_request(format!("{name} must not be empty")))
        }
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(ApiError::bad_request(format!("{name} must be a string"))),
    }
}

async fn create(State(state): State<Arc<AppState>>, body: Body) -> Result<Response, ApiError> {
    let fields = json_object(body).await?;
    reject_unknown(
        &fields,
        &[
            "app_name",
            "action_name",
            "version",
            "payload",
            "async",
            "async_timeout_seconds",
        ],
    )?;
    let is_async = match fields.get("async") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => return Err(ApiError::bad_request("async must be a boolean")),
    };
    if let Some(timeout) = fields.get("async_timeout_seconds") {
        if timeout
            .as_u64()
            .is_none_or(|seconds| !(10..=3600).contains(&seconds))
        {
            return Err(ApiError::bad_request(
                "async_timeout_seconds must be an integer from 10 to 3600",
            ));
        }
    }
    let request = CreateRequest {
        app_name: string_field(&fields, "app_name", true)?.unwrap_or_default(),
        action_name: string_field(&fields, "action_name", true)?.unwrap_or_default(),
        version: string_field(&fields, "version", true)?.unwrap_or_default(),
        payload: string_field(&fields, "payload", false)?,
        is_async,
    };
    let invocation = state.store.create(request);
    let mut answer = json!({
        "id": invocation.id,
        "action_name": invocation.action_name,
        "status": invocation.status,
    });
    if let Some(reason) = &invocation.status_reason {
        answer["status_reason"] = json!(reason);
    }
    // Like the API: an async invocation is accepted (202), a sync one answered (200).
    let status = if is_async {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(answer)).into_response())
}

/// The invocation `id`, or the 404 the API gives for an unknown one.
fn existing(state: &AppState, id: &str) -> Result<Invocation, ApiError> {
    state.store.get(id).ok_or_else(|| ApiError::not_found(id))
}

async fn retrieve(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(existing(&state, &id)?).into_response())
}

async fn update(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response, ApiError> {
    let fields = json_object(body).await?;
    reject_unknown(&fields, &["status", "output"])?;
    let status = match fields.get("status") {
        Some(Value::String(text)) => text.parse::<UpdateStatus>().map_err(|_| {
            ApiError::bad_request(format!(
                "status must be 'succeeded' or 'failed', got {text:?}"
            ))
        })?,
        Some(_) => return Err(ApiError::bad_request("status must be a string")),
        None => return Err(ApiError::bad_request("status is required")),
    };
    let output = string_field(&fields, "output", false)?;
    match state.store.update(&id, status, output) {
        Ok(invocation) => Ok(Json(invocation).into_response()),
        Err(UpdateError::NotFound(_)) => Err(ApiError::not_found(&id)),
        Err(conflict @ UpdateError::Conflict { .. }) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            conflict.to_string(),
        )),
    }
}

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

fn parse_number(params: &HashMap<String, String>, name: &str) -> Result<Option<usize>, ApiError> {
    params
        .get(name)
        .map(|value| {
            value.parse::<usize>().map_err(|_| {
                ApiError::bad_request(format!(
                    "{name} must be a non-negative integer, got {value:?}"
                ))
            })
        })
        .transpose()
}

async fn list(
    State(state): State<Arc<AppState>>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    const KNOWN: [&str; 9] = [
        "app_name",
        "action_name",
        "status",
        "version",
        "deployment_id",
        "since",
        "query",
        "limit",
        "offset",
    ];
    if let Some(unknown) = params.keys().find(|key| !KNOWN.contains(&key.as_str())) {
        return Err(ApiError::bad_request(format!(
            "unknown query parameter {unknown:?}"
        )));
    }
    let limit = parse_number(&params, "limit")?.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let offset = parse_number(&params, "offset")?.unwrap_or(0);
    let status = params
        .get("status")
        .map(|value| {
            // The four statuses the API documents: the client accepts new ones from a
            // server, but the emulator is that server and knows only these.
            value
                .parse::<InvocationStatus>()
                .map_err(|_| ApiError::bad_request(format!("unknown status {value:?}")))
        })
        .transpose()?;
    let since = params
        .get("since")
        .map(|value| time_format::parse_since(value).map_err(ApiError::bad_request))
        .transpose()?;
    let filter = ListFilter {
        app_name: params.get("app_name").cloned(),
        action_name: params.get("action_name").cloned(),
        status,
        version: params.get("version").cloned(),
        deployment_id: params.get("deployment_id").cloned(),
        since,
        query: params.get("query").cloned(),
    };
    let (page, has_more) = state.store.list(&filter, offset, limit);
    let next_offset = if has_more { offset + page.len() } else { 0 };
    let mut response = Json(page).into_response();
    let headers = response.headers_mut();
    headers.insert(
        "x-has-more",
        HeaderValue::from_static(if has_more { "true" } else { "false" }),
    );
    headers.insert("x-next-offset", HeaderValue::from(next_offset));
    Ok(response)
}

async fn follow(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    if let Some(since) = params.get("since") {
        // Accepted for compatibility: the emulator keeps no logs to replay.
        time_format::parse_since(since).map_err(ApiError::bad_request)?;
    }
    let changes = state
        .store
        .subscribe(&id)
        .ok_or_else(|| ApiError::not_found(&id))?;
    Ok(sse::invocation_events(changes, state.heartbeat).into_response())
}

async fn list_browsers(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    existing(&state, &id)?;
    Ok(Json(json!({ "browsers": [] })).into_response())
}

async fn delete_browsers(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    existing(&state, &id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn add_fault(State(state): State<Arc<AppState>>, body: Body) -> Result<Response, ApiError> {
    let fields = json_object(body).await?;
    // The fields and limits of `emu.fault(spec)`: both go through `FaultOptions`.
    let options: FaultOptions = serde_json::from_value(Value::Object(fields))
        .map_err(|err| ApiError::bad_request(format!("invalid fault: {err}")))?;
    FaultSpec::try_from(options)
        .and_then(|spec| state.faults.add(spec))
        .map_err(|err| ApiError::bad_request(err.to_string()))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Every applied mutation, oldest first.
async fn journal(State(state): State<Arc<AppState>>) -> Response {
    Json(json!({ "entries": state.idempotency.journal() })).into_response()
}

/// Counters for soak and fault tests.
async fn stats(State(state): State<Arc<AppState>>) -> Response {
    Json(json!({
        "requests": state.requests.load(std::sync::atomic::Ordering::Relaxed),
        "invocations": state.store.len(),
        "faultsFired": state.faults.fired(),
        "replayed": state.idempotency.replayed(),
    }))
    .into_response()
}

async fn clear_faults(State(state): State<Arc<AppState>>) -> Response {
    state.faults.clear();
    StatusCode::NO_CONTENT.into_response()
}

/// The answer a fault with a status gives.
pub fn fault_response(spec: &FaultSpec, status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = spec.body.clone().unwrap_or_else(|| {
        json!({ "code": "injected_fault", "message": format!("fault injected by the emulator ({status})") })
    });
    let mut response = (status, Json(body)).into_response();
    let headers: &mut HeaderMap = response.headers_mut();
    for (name, value) in spec.headers.iter().flatten() {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    response
}
