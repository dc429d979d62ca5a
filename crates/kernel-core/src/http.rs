//! The transport: one shared connection pool, per-attempt timeouts, retries and cancellation.

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, Method, StatusCode};
use tokio_util::sync::CancellationToken;

use crate::client::Client;
use crate::config::check_timeout;
use crate::error::{ApiError, Error};
use crate::retry::{retry_delay, should_retry};

/// Settings for one call; unset fields take the client's.
#[derive(Clone, Default)]
pub struct RequestOptions {
    /// Per-attempt timeout, replacing the client's.
    pub timeout: Option<Duration>,
    /// Retries after the first attempt, replacing the client's.
    pub max_retries: Option<u32>,
    /// Headers for this call; they win over the client's. `None` removes a header.
    pub headers: Vec<(String, Option<String>)>,
    /// Cancelling this token ends the call with [`Error::Aborted`] and drops its connection.
    pub cancel: Option<CancellationToken>,
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
            .finish()
    }
}

/// What a resource asks the transport to send. `path` is relative to the base URL and already
/// percent-encoded.
pub(crate) struct RequestSpec {
    pub method: Method,
    pub path: String,
    pub body: Option<Bytes>,
}

/// A complete answer with a success status.
pub(crate) struct RawResponse {
    pub status: StatusCode,
    #[allow(dead_code)] // read by the raw-response API of a later issue
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Building a reqwest client loads the root certificates (milliseconds and ~100 KB each), so
/// every `Client` of the process shares one, and with it one connection pool.
pub(crate) fn shared_http_client() -> Result<reqwest::Client, Error> {
    static SHARED: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    SHARED
        .get_or_init(|| {
            // reqwest is built without a default crypto provider (ring is smaller and faster to
            // build than aws-lc); an application that installed its own keeps it.
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::Client::builder()
                .build()
                .map_err(|err| format!("Could not set up the HTTP client: {err}"))
        })
        .clone()
        .map_err(Error::Config)
}

/// Parses `(name, value)` pairs given by a caller into headers, naming `field` on failure.
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

impl Client {
    /// Sends `spec` until it succeeds, fails for good, runs out of retries or is cancelled.
    pub(crate) async fn execute(
        &self,
        spec: RequestSpec,
        options: &RequestOptions,
    ) -> Result<RawResponse, Error> {
        let timeout = match options.timeout {
            Some(timeout) => check_timeout("timeout", timeout)?,
            None => self.inner.timeout,
        };
        let max_retries = options.max_retries.unwrap_or(self.inner.max_retries);
        let headers = self.request_headers(&options.headers, spec.body.is_some())?;
        let url = format!("{}{}", self.inner.base_url, spec.path);
        let url = reqwest::Url::parse(&url)
            .map_err(|err| Error::Config(format!("Could not build the URL {url:?}: {err}")))?;
        let attempts = self.send_with_retries(&spec, url, headers, timeout, max_retries);
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

    async fn send_with_retries(
        &self,
        spec: &RequestSpec,
        url: reqwest::Url,
        headers: HeaderMap,
        timeout: Duration,
        max_retries: u32,
    ) -> Result<RawResponse, Error> {
        let mut retries_done = 0;
        loop {
            let attempt = self.send_once(spec, url.clone(), headers.clone());
            let outcome = tokio::time::timeout(timeout, attempt)
                .await
                .unwrap_or(Err(Error::Timeout));
            let retry_after = match outcome {
                Ok(response) if response.status.is_success() => return Ok(response),
                Ok(response) => {
                    if retries_done >= max_retries
                        || !should_retry(response.status, &response.headers)
                    {
                        return Err(Error::Api(Box::new(ApiError::new(
                            response.status,
                            response.headers,
                            &response.body,
                        ))));
                    }
                    retry_delay(Some(&response.headers), retries_done)
                }
                Err(err) if retries_done < max_retries && err.is_retryable_transport() => {
                    retry_delay(None, retries_done)
                }
                Err(err) => return Err(err),
            };
            tokio::time::sleep(retry_after).await;
            retries_done += 1;
        }
    }

    /// One attempt: the request, the response head and the whole body.
    async fn send_once(
        &self,
        spec: &RequestSpec,
        url: reqwest::Url,
        headers: HeaderMap,
    ) -> Result<RawResponse, Error> {
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
        let headers = std::mem::take(response.headers_mut());
        let body = response.bytes().await.map_err(Error::from_transport)?;
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }

    /// The client's headers, then the body's content type, then the call's own headers.
    fn request_headers(
        &self,
        overrides: &[(String, Option<String>)],
        has_body: bool,
    ) -> Result<HeaderMap, Error> {
        let mut headers = self.inner.default_headers.clone();
        if has_body {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        apply_headers("headers", &mut headers, overrides)?;
        Ok(headers)
    }
}

impl RawResponse {
    /// Decodes the body as `T`; a body that is not `T` in JSON is [`Error::Decode`], never a
    /// half-filled value.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(
        &self,
        expected: &'static str,
    ) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|err| Error::Decode {
            status: self.status.as_u16(),
            expected,
            reason: err.to_string(),
        })
    }
}
