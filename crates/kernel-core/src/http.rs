//! The transport: one shared connection pool, per-attempt timeouts, retries, cancellation and
//! log records.

use std::fmt;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, Method, StatusCode};
use tokio_util::sync::CancellationToken;

use crate::client::Client;
use crate::config::check_timeout;
use crate::error::{ApiError, Error};
use crate::log::{new_log_id, LogLevel, Observer};
use crate::retry::{retry_delay, should_retry};

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

/// A decoded answer with what came with it: status, headers and the raw body.
#[derive(Clone, Debug)]
pub struct Response<T> {
    /// The decoded body.
    pub data: T,
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as received (empty for event streams).
    pub body: Bytes,
}

impl<T> Response<T> {
    /// The `x-request-id` the server gave this response, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.headers
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
    }

    /// The decoded body alone.
    pub fn into_data(self) -> T {
        self.data
    }

    pub(crate) fn with_data<U>(self, data: U) -> Response<U> {
        Response {
            data,
            status: self.status,
            headers: self.headers,
            body: self.body,
        }
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

/// A success answer whose body was read whole.
pub(crate) type RawResponse = Response<()>;

/// A success answer whose body is still on the wire.
pub(crate) struct StreamingResponse {
    pub head: RawResponse,
    pub body: reqwest::Response,
    pub timeout: Duration,
}

/// Parses a `(name, value)` pair given by a caller into a header, naming `field` on failure.
/// A value is never echoed: it may be a credential.
pub(crate) fn parse_header(
    field: &'static str,
    name: &str,
    value: &str,
) -> Result<(HeaderName, HeaderValue), Error> {
    let header_name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| Error::invalid(field, format!("{name:?} is not a valid header name")))?;
    let mut header_value = HeaderValue::from_str(value).map_err(|_| {
        Error::invalid(
            field,
            format!("the value of {name:?} contains characters not allowed in a header (such as CR or LF)"),
        )
    })?;
    if header_name == AUTHORIZATION {
        header_value.set_sensitive(true);
    }
    Ok((header_name, header_value))
}

/// Sets each `(name, Some(value))` over what `headers` holds and removes each `(name, None)`.
pub(crate) fn apply_headers(
    field: &'static str,
    headers: &mut HeaderMap,
    changes: &[(String, Option<String>)],
) -> Result<(), Error> {
    for (name, value) in changes {
        match value {
            Some(value) => {
                let (name, value) = parse_header(field, name, value)?;
                headers.insert(name, value);
            }
            None => {
                let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    Error::invalid(field, format!("{name:?} is not a valid header name"))
                })?;
                headers.remove(name);
            }
        }
    }
    Ok(())
}

/// Header names and values for a debug log, with credentials hidden.
fn redacted(headers: &HeaderMap) -> String {
    let shown: Vec<String> = headers
        .iter()
        .map(|(name, value)| {
            let secret =
                name == AUTHORIZATION || value.is_sensitive() || name.as_str().contains("api-key");
            let value = if secret {
                "***"
            } else {
                value.to_str().unwrap_or("<binary>")
            };
            format!("{name}: {value}")
        })
        .collect();
    shown.join(", ")
}

/// One call's log context; a no-op without an observer.
struct CallLog<'a> {
    observer: Option<&'a Observer>,
    id: String,
    method: &'a Method,
    url: &'a reqwest::Url,
}

impl CallLog<'_> {
    fn emit(&self, level: LogLevel, message: impl FnOnce() -> String) {
        if let Some(observer) = self.observer {
            observer.emit(
                level,
                format!("[{}] {} {} {}", self.id, self.method, self.url, message()),
            );
        }
    }
}

/// Whether an attempt reads the whole body or leaves it for a stream.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BodyMode {
    Whole,
    Streamed,
}

enum Attempt {
    Whole(RawResponse),
    Streamed(RawResponse, reqwest::Response),
}

impl Attempt {
    fn head(&self) -> &RawResponse {
        match self {
            Attempt::Whole(head) | Attempt::Streamed(head, _) => head,
        }
    }
}

impl Client {
    /// Sends `spec` and reads the whole answer, retrying as the policy allows.
    pub(crate) async fn execute(
        &self,
        spec: RequestSpec,
        options: &RequestOptions,
    ) -> Result<RawResponse, Error> {
        let timeout = self.effective_timeout(options)?;
        match self
            .execute_mode(spec, options, timeout, BodyMode::Whole)
            .await?
        {
            Attempt::Whole(response) => Ok(response),
            Attempt::Streamed(head, _) => Ok(head),
        }
    }

    /// Sends `spec` and returns once a success status and headers arrived; the body is left
    /// for the caller to read. Only reaching the headers is retried.
    pub(crate) async fn execute_streaming(
        &self,
        spec: RequestSpec,
        options: &RequestOptions,
    ) -> Result<StreamingResponse, Error> {
        let timeout = self.effective_timeout(options)?;
        match self
            .execute_mode(spec, options, timeout, BodyMode::Streamed)
            .await?
        {
            Attempt::Streamed(head, body) => Ok(StreamingResponse {
                head,
                body,
                timeout,
            }),
            Attempt::Whole(_) => Err(Error::Stream("the response has no body to stream".into())),
        }
    }

    fn effective_timeout(&self, options: &RequestOptions) -> Result<Duration, Error> {
        match options.timeout {
            Some(timeout) => check_timeout("timeout", timeout),
            None => Ok(self.inner.timeout),
        }
    }

    async fn execute_mode(
        &self,
        spec: RequestSpec,
        options: &RequestOptions,
        timeout: Duration,
        mode: BodyMode,
    ) -> Result<Attempt, Error> {
        let max_retries = options.max_retries.unwrap_or(self.inner.max_retries);
        // Chosen once per call, so every retry carries the same key.
        let key = self.idempotency_key(&spec, options);
        let headers = self.request_headers(&spec, key.as_deref(), &options.headers)?;
        let url = self.url(&spec);
        let attempts =
            self.send_with_retries(&spec, &url, headers, timeout, max_retries, mode, options);
        match &options.cancel {
            None => attempts.await,
            Some(token) if token.is_cancelled() => Err(Error::Aborted),
            // Dropping the attempts future drops the connection: the server sees it close.
            Some(token) => token
                .run_until_cancelled(attempts)
                .await
                .unwrap_or(Err(Error::Aborted)),
        }
    }

    /// The caller's key, else a fresh one for a mutation when the client sends keys.
    fn idempotency_key(&self, spec: &RequestSpec, options: &RequestOptions) -> Option<String> {
        if let Some(key) = &options.idempotency_key {
            return Some(key.clone());
        }
        let mutation = matches!(spec.method, Method::POST | Method::PATCH | Method::DELETE);
        (self.inner.idempotency_keys && mutation)
            .then(|| format!("kernel-native-{:032x}", fastrand::u128(..)))
    }

    /// The base URL with `spec`'s path appended to its own. Only the path is parsed here: the
    /// base (scheme, host with its IDNA processing, port) was parsed once, with the client;
    /// parsing the whole URL per call was 15 % of the I/O thread at 64 calls in flight.
    fn url(&self, spec: &RequestSpec) -> reqwest::Url {
        let mut url = self.inner.base.clone();
        let path = format!("{}{}", url.path(), spec.path);
        url.set_path(&path);
        if !spec.query.is_empty() {
            url.query_pairs_mut().extend_pairs(
                spec.query
                    .iter()
                    .map(|(name, value)| (*name, value.as_str())),
            );
        }
        url
    }

    #[allow(clippy::too_many_arguments)]
    async fn send_with_retries(
        &self,
        spec: &RequestSpec,
        url: &reqwest::Url,
        headers: HeaderMap,
        timeout: Duration,
        max_retries: u32,
        mode: BodyMode,
        options: &RequestOptions,
    ) -> Result<Attempt, Error> {
        let log = CallLog {
            observer: options.observer.as_ref(),
            id: if options.observer.is_some() {
                new_log_id()
            } else {
                String::new()
            },
            method: &spec.method,
            url,
        };
        let mut retries_done = 0;
        loop {
            log.emit(LogLevel::Debug, || {
                format!(
                    "sending request (attempt {} of {}; headers: {})",
                    retries_done + 1,
                    max_retries + 1,
                    redacted(&headers)
                )
            });
            let started = Instant::now();
            let attempt = self.send_once(spec, url.clone(), headers.clone(), mode);
            let outcome = tokio::time::timeout(timeout, attempt)
                .await
                .unwrap_or(Err(Error::Timeout));
            let remaining = max_retries - retries_done;
            let retry_after = match outcome {
                Ok(attempt) if attempt.head().status.is_success() => {
                    log.emit(LogLevel::Debug, || {
                        format!(
                            "succeeded with status {} in {} ms",
                            attempt.head().status.as_u16(),
                            started.elapsed().as_millis()
                        )
                    });
                    return Ok(attempt);
                }
                Ok(attempt) => {
                    let head = match attempt {
                        Attempt::Whole(head) | Attempt::Streamed(head, _) => head,
                    };
                    let status = head.status.as_u16();
                    if remaining == 0 || !should_retry(head.status, &head.headers) {
                        let why = if remaining == 0 {
                            "no retries left"
                        } else {
                            "not retryable"
                        };
                        log.emit(LogLevel::Info, || {
                            format!("failed with status {status} ({why})")
                        });
                        return Err(Error::Api(Box::new(ApiError::new(
                            head.status,
                            head.headers,
                            &head.body,
                        ))));
                    }
                    let delay = retry_delay(Some(&head.headers), retries_done);
                    log.emit(LogLevel::Info, || {
                        format!(
                            "answered {status} - retrying in {} ms, {remaining} attempts remaining",
                            delay.as_millis()
                        )
                    });
                    delay
                }
                Err(err) if remaining > 0 && err.is_retryable_transport() => {
                    let delay = retry_delay(None, retries_done);
                    log.emit(LogLevel::Info, || {
                        format!(
                            "{err} - retrying in {} ms, {remaining} attempts remaining",
                            delay.as_millis()
                        )
                    });
                    delay
                }
                Err(err) => {
                    log.emit(LogLevel::Info, || format!("failed: {err}"));
                    return Err(err);
                }
            };
            tokio::time::sleep(retry_after).await;
            retries_done += 1;
        }
    }

    /// One attempt: the request, the response head and, unless streamed, the whole body.
    /// An error status always has its body read, for the error message.
    async fn send_once(
        &self,
        spec: &RequestSpec,
        url: reqwest::Url,
        headers: HeaderMap,
        mode: BodyMode,
    ) -> Result<Attempt, Error> {
        let mut request = reqwest::Request::new(spec.method.clone(), url);
        *request.headers_mut() = headers;
        if let Some(body) = &spec.body {
            *request.body_mut() = Some(body.clone().into());
        }
        let mut response = self
            .inner
            .http
            .execute(request)
            .await
            .map_err(Error::from_transport)?;
        let status = response.status();
        let headers = detached(std::mem::take(response.headers_mut()));
        if mode == BodyMode::Streamed && status.is_success() {
            let head = Response {
                data: (),
                status,
                headers,
                body: Bytes::new(),
            };
            return Ok(Attempt::Streamed(head, response));
        }
        let overflow = if status.is_success() {
            Overflow::Fail
        } else {
            Overflow::Truncate
        };
        let body = read_capped(response, self.inner.max_response_bytes, overflow).await?;
        Ok(Attempt::Whole(Response {
            data: (),
            status,
            headers,
            body,
        }))
    }

    /// The idempotency key unless the client's headers set one, then the body's content type
    /// and the call's accept type, then the call's own headers: as in `@onkernel/sdk`, an
    /// `Idempotency-Key` header given by the caller wins over the key.
    fn request_headers(
        &self,
        spec: &RequestSpec,
        idempotency_key: Option<&str>,
        overrides: &[(String, Option<String>)],
    ) -> Result<HeaderMap, Error> {
        let mut headers = self.inner.default_headers.clone();
        if let Some(key) = idempotency_key {
            if key.is_empty() {
                return Err(Error::invalid(
                    "idempotencyKey",
                    "must be a non-empty string",
                ));
            }
            let (name, value) = parse_header("idempotencyKey", "idempotency-key", key)?;
            if !headers.contains_key(&name) {
                headers.insert(name, value);
            }
        }
        if spec.body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Some(accept) = spec.accept {
            headers.insert(ACCEPT, HeaderValue::from_static(accept));
        }
        apply_headers("headers", &mut headers, overrides)?;
        Ok(headers)
    }
}

/// What to do with a body longer than the limit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Overflow {
    /// Fail with [`Error::ResponseTooLarge`]: a success body cut short would be a wrong value.
    Fail,
    /// Keep the first `limit` bytes: an error answer keeps its status (and stays retryable),
    /// and its message is read from what fits.
    Truncate,
}

/// Reads a body up to `limit` bytes, never more: an announced length over the limit is
/// handled before reading, an unannounced one when the limit is crossed. The chunks are copied
/// into a buffer of the body's own, so that the body does not keep the connection's read
/// buffer alive (see `detached`).
async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
    overflow: Overflow,
) -> Result<Bytes, Error> {
    let too_large = || Error::ResponseTooLarge { limit };
    let announced_too_large = response
        .content_length()
        .is_some_and(|length| length > limit);
    if announced_too_large && overflow == Overflow::Fail {
        return Err(too_large());
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut body = BytesMut::new();
    while let Some(bytes) = response.chunk().await.map_err(Error::from_transport)? {
        if body.len() + bytes.len() > limit {
            if overflow == Overflow::Fail {
                return Err(too_large());
            }
            // The rest is not read: dropping the response closes its connection.
            let room = limit - body.len();
            body.extend_from_slice(&bytes[..room]);
            break;
        }
        body.extend_from_slice(&bytes);
    }
    Ok(body.freeze())
}

/// `headers` copied out of the connection's read buffer. hyper hands out header values (and a
/// single-chunk body) as slices of that buffer, 8 KiB or more, so a `Response` holding them
/// would keep the whole buffer alive. The binding hands responses to JS, where they live until
/// a garbage collection that the small JS objects rarely trigger: the slices held about 9 KiB
/// per call, 25 MiB after a few thousand calls, and the process's RSS kept that high-water mark.
fn detached(headers: HeaderMap) -> HeaderMap {
    let mut owned = HeaderMap::with_capacity(headers.len());
    for (name, value) in &headers {
        let mut copy = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        copy.set_sensitive(value.is_sensitive());
        owned.append(name.clone(), copy);
    }
    owned
}

impl RawResponse {
    /// Decodes the body as `T`; a body that is not `T` in JSON is [`Error::Decode`], never a
    /// half-filled value.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(
        self,
        expected: &'static str,
    ) -> Result<Response<T>, Error> {
        let data = serde_json::from_slice(&self.body).map_err(|err| Error::Decode {
            status: self.status.as_u16(),
            expected,
            reason: err.to_string(),
        })?;
        Ok(self.with_data(data))
    }
}
