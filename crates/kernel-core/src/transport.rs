//! The transport a [`crate::Client`] owns and its resources borrow: where requests go, the
//! headers every request carries, per-attempt timeouts, retries, cancellation and log records.
//! The connection pool under it is `pool.rs`; reading bodies is `body.rs`.

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderValue, ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, Method};

use crate::body::{detached, read_capped, Overflow};
use crate::config::check_timeout;
use crate::error::{ApiError, Error};
use crate::headers::{apply_headers, parse_header, redacted};
use crate::log::{new_log_id, LogLevel, Observer};
use crate::request::{RequestOptions, RequestSpec};
use crate::response::{RawResponse, Response};
use crate::retry::{retry_delay, should_retry};
use crate::url_path::MAX_URL_BYTES;

/// Everything a call needs from its client, resolved once when the client is built.
pub(crate) struct Transport {
    pub http: Arc<reqwest::Client>,
    /// The base URL, parsed once (requests only append their path to it); its path ends with
    /// exactly one `/`.
    pub base: reqwest::Url,
    /// Accept, User-Agent, Authorization (marked sensitive) and the caller's default headers.
    pub default_headers: HeaderMap,
    pub timeout: Duration,
    pub max_retries: u32,
    pub max_response_bytes: u64,
    pub idempotency_keys: bool,
}

/// A success answer whose body is still on the wire.
pub(crate) struct StreamingResponse {
    pub head: RawResponse,
    pub body: reqwest::Response,
    pub timeout: Duration,
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

    fn into_head(self) -> RawResponse {
        match self {
            Attempt::Whole(head) | Attempt::Streamed(head, _) => head,
        }
    }
}

/// One call, resolved: what every attempt sends, and how often it may try.
struct Call<'a> {
    spec: &'a RequestSpec,
    url: reqwest::Url,
    headers: HeaderMap,
    timeout: Duration,
    max_retries: u32,
    mode: BodyMode,
    log: CallLog<'a>,
}

/// After an attempt: stop with the call's result, or wait this long and try again.
type Next = ControlFlow<Result<Attempt, Error>, Duration>;

/// An attempt that failed, and whether the server had answered (with a head that could not be
/// parsed): then it may have applied the request, and only a request it is safe to repeat is
/// retried.
struct Failed {
    error: Error,
    answered: bool,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Self {
        Failed {
            error,
            answered: false,
        }
    }
}

impl Failed {
    fn from_transport(err: reqwest::Error) -> Self {
        let answered =
            std::iter::successors(Some(&err as &(dyn std::error::Error + 'static)), |err| {
                err.source()
            })
            .filter_map(|err| err.downcast_ref::<hyper::Error>())
            .any(hyper::Error::is_parse);
        Failed {
            error: Error::from_transport(err),
            answered,
        }
    }
}

/// One call's log context; a no-op without an observer.
struct CallLog<'a> {
    observer: Option<&'a Observer>,
    id: String,
    method: Method,
}

impl<'a> CallLog<'a> {
    fn new(observer: Option<&'a Observer>, method: &Method) -> Self {
        CallLog {
            observer,
            id: observer.map(|_| new_log_id()).unwrap_or_default(),
            method: method.clone(),
        }
    }

    fn emit(&self, url: &reqwest::Url, level: LogLevel, message: impl FnOnce() -> String) {
        if let Some(observer) = self.observer {
            observer.emit(
                level,
                format!("[{}] {} {} {}", self.id, self.method, url, message()),
            );
        }
    }
}

impl Call<'_> {
    fn log(&self, level: LogLevel, message: impl FnOnce() -> String) {
        self.log.emit(&self.url, level, message);
    }

    /// Whether sending this request twice does what sending it once does: a read or a delete,
    /// or a change that carries an idempotency key.
    fn safe_to_repeat(&self) -> bool {
        matches!(
            self.spec.method,
            Method::GET | Method::HEAD | Method::DELETE
        ) || self.headers.contains_key("idempotency-key")
    }
}

impl Transport {
    /// Sends `spec` and reads the whole answer, retrying as the policy allows.
    pub(crate) async fn execute(
        &self,
        spec: RequestSpec,
        options: &RequestOptions,
    ) -> Result<RawResponse, Error> {
        let attempt = self.execute_mode(&spec, options, BodyMode::Whole).await?;
        Ok(attempt.into_head())
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
            .execute_mode(&spec, options, BodyMode::Streamed)
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
            None => Ok(self.timeout),
        }
    }

    async fn execute_mode(
        &self,
        spec: &RequestSpec,
        options: &RequestOptions,
        mode: BodyMode,
    ) -> Result<Attempt, Error> {
        // Chosen once per call, so every retry carries the same key.
        let key = self.idempotency_key(spec, options);
        let call = Call {
            spec,
            url: self.url(spec)?,
            headers: self.request_headers(spec, key.as_deref(), &options.headers)?,
            timeout: self.effective_timeout(options)?,
            max_retries: options.max_retries.unwrap_or(self.max_retries),
            mode,
            log: CallLog::new(options.observer.as_ref(), &spec.method),
        };
        let attempts = self.send_with_retries(&call);
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
        (self.idempotency_keys && mutation)
            .then(|| format!("kernel-native-{:032x}", fastrand::u128(..)))
    }

    /// The base URL with `spec`'s path appended to its own. Only the path is parsed here: the
    /// base (scheme, host with its IDNA processing, port) was parsed once, with the client;
    /// parsing the whole URL per call was 15 % of the I/O thread at 64 calls in flight.
    /// A URL longer than a request can carry (a long base URL, or long query values) is refused
    /// here, before sending: reqwest would fail it as a connection error, and retry it.
    fn url(&self, spec: &RequestSpec) -> Result<reqwest::Url, Error> {
        let mut url = self.base.clone();
        let path = format!("{}{}", url.path(), spec.path);
        url.set_path(&path);
        if !spec.query.is_empty() {
            url.query_pairs_mut().extend_pairs(
                spec.query
                    .iter()
                    .map(|(name, value)| (*name, value.as_str())),
            );
        }
        let length = url.as_str().len();
        if length > MAX_URL_BYTES {
            return Err(Error::invalid(
                "params",
                format!("they make the request URL {length} bytes long, over the {MAX_URL_BYTES}-byte limit"),
            ));
        }
        Ok(url)
    }

    /// Attempts until one succeeds, fails for good, or the retries run out.
    async fn send_with_retries(&self, call: &Call<'_>) -> Result<Attempt, Error> {
        let mut retries_done = 0;
        loop {
            call.log(LogLevel::Debug, || {
                format!(
                    "sending request (attempt {} of {}; headers: {})",
                    retries_done + 1,
                    call.max_retries + 1,
                    redacted(&call.headers)
                )
            });
            let started = Instant::now();
            let attempt =
                self.send_once(call.spec, call.url.clone(), call.headers.clone(), call.mode);
            let outcome = tokio::time::timeout(call.timeout, attempt)
                .await
                .unwrap_or(Err(Failed::from(Error::Timeout)));
            match next_step(call, outcome, retries_done, started) {
                ControlFlow::Break(result) => return result,
                ControlFlow::Continue(delay) => tokio::time::sleep(delay).await,
            }
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
    ) -> Result<Attempt, Failed> {
        let mut request = reqwest::Request::new(spec.method.clone(), url);
        *request.headers_mut() = headers;
        if let Some(body) = &spec.body {
            *request.body_mut() = Some(body.clone().into());
        }
        let mut response = self
            .http
            .execute(request)
            .await
            .map_err(Failed::from_transport)?;
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
        let body = read_capped(response, self.max_response_bytes, overflow).await?;
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
        let mut headers = self.default_headers.clone();
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

/// Decides what follows an attempt: a success or a final failure ends the call; an error
/// status the policy retries, or a retryable transport failure, waits and tries again.
fn next_step(
    call: &Call<'_>,
    outcome: Result<Attempt, Failed>,
    retries_done: u32,
    started: Instant,
) -> Next {
    let remaining = call.max_retries - retries_done;
    match outcome {
        Ok(attempt) if attempt.head().status.is_success() => {
            call.log(LogLevel::Debug, || {
                format!(
                    "succeeded with status {} in {} ms",
                    attempt.head().status.as_u16(),
                    started.elapsed().as_millis()
                )
            });
            ControlFlow::Break(Ok(attempt))
        }
        Ok(attempt) => error_status(call, attempt.into_head(), retries_done, remaining),
        Err(Failed { error, answered }) if answered && !call.safe_to_repeat() => {
            call.log(LogLevel::Info, || {
                format!("{error} - not retried: the server answered, and repeating this request could apply it twice")
            });
            ControlFlow::Break(Err(error))
        }
        Err(Failed { error: err, .. }) if remaining > 0 && err.is_retryable_transport() => {
            let delay = retry_delay(None, retries_done);
            call.log(LogLevel::Info, || {
                format!(
                    "{err} - retrying in {} ms, {remaining} attempts remaining",
                    delay.as_millis()
                )
            });
            ControlFlow::Continue(delay)
        }
        Err(Failed { error: err, .. }) => {
            call.log(LogLevel::Info, || format!("failed: {err}"));
            ControlFlow::Break(Err(err))
        }
    }
}

/// An answer with an error status: retried when the policy says so and retries are left,
/// else the call's [`Error::Api`].
fn error_status(call: &Call<'_>, head: RawResponse, retries_done: u32, remaining: u32) -> Next {
    let status = head.status.as_u16();
    if remaining == 0 || !should_retry(head.status, &head.headers) {
        let why = if remaining == 0 {
            "no retries left"
        } else {
            "not retryable"
        };
        call.log(LogLevel::Info, || {
            format!("failed with status {status} ({why})")
        });
        let error = ApiError::new(head.status, head.headers, &head.body);
        return ControlFlow::Break(Err(Error::Api(Box::new(error))));
    }
    let delay = retry_delay(Some(&head.headers), retries_done);
    call.log(LogLevel::Info, || {
        format!(
            "answered {status} - retrying in {} ms, {remaining} attempts remaining",
            delay.as_millis()
        )
    });
    ControlFlow::Continue(delay)
}
