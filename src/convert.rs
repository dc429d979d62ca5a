//! JS option objects as the JS layer passes them, and their conversion into core options.

use std::collections::HashMap;
use std::time::Duration;

use kernel_core::{CancellationToken, ClientOptions, Error, ProxySetting, RequestOptions};
use napi_derive::napi;

use crate::logs::LogSink;

/// Client options after the JS layer has read the environment and normalised the headers.
#[napi(object, object_to_js = false)]
pub struct NativeClientOptions {
    #[napi(js_name = "apiKey")]
    pub api_key: Option<String>,
    #[napi(js_name = "baseURL")]
    pub base_url: Option<String>,
    pub environment: Option<String>,
    /// Milliseconds.
    pub timeout: Option<f64>,
    #[napi(js_name = "maxRetries")]
    pub max_retries: Option<f64>,
    /// Lower-case names; `null` removes a built-in header.
    #[napi(js_name = "defaultHeaders")]
    pub default_headers: Option<HashMap<String, Option<String>>>,
    /// Bytes.
    #[napi(js_name = "maxResponseBytes")]
    pub max_response_bytes: Option<f64>,
    /// PEM certificates trusted in addition to the default roots (Mozilla's, as in Node).
    pub ca: Option<String>,
    /// Proxy URL for every request.
    pub proxy: Option<String>,
    /// Connect directly, ignoring the proxy environment variables.
    #[napi(js_name = "noProxy")]
    pub no_proxy: Option<bool>,
    /// Send a fresh `Idempotency-Key` with every POST, PATCH and DELETE.
    #[napi(js_name = "idempotencyKeys")]
    pub idempotency_keys: Option<bool>,
}

/// Per-call options after the JS layer has normalised the headers; `null` removes a header.
#[napi(object, object_to_js = false)]
pub struct NativeRequestOptions {
    /// Milliseconds.
    pub timeout: Option<f64>,
    #[napi(js_name = "maxRetries")]
    pub max_retries: Option<f64>,
    pub headers: Option<HashMap<String, Option<String>>>,
    /// Collect the call's log records (the client's level is debug or info).
    pub log: Option<bool>,
    /// Sent as `Idempotency-Key` on every attempt of the call.
    #[napi(js_name = "idempotencyKey")]
    pub idempotency_key: Option<String>,
}

/// The User-Agent names this package, not the core crate.
const USER_AGENT: &str = concat!("kernel-native/", env!("CARGO_PKG_VERSION"));

pub fn client_options(options: NativeClientOptions) -> Result<ClientOptions, Error> {
    Ok(ClientOptions {
        api_key: options.api_key,
        base_url: options.base_url,
        environment: options.environment.as_deref().map(str::parse).transpose()?,
        timeout: options
            .timeout
            .map(|ms| milliseconds("timeout", ms))
            .transpose()?,
        max_retries: options
            .max_retries
            .map(|count| retry_count("maxRetries", count))
            .transpose()?,
        default_headers: options
            .default_headers
            .unwrap_or_default()
            .into_iter()
            .collect(),
        user_agent: Some(USER_AGENT.to_owned()),
        max_response_bytes: options
            .max_response_bytes
            .map(|bytes| byte_count("maxResponseBytes", bytes))
            .transpose()?,
        extra_ca_pem: options.ca,
        proxy: match (options.proxy, options.no_proxy) {
            (Some(url), _) => ProxySetting::Url(url),
            (None, Some(true)) => ProxySetting::Disabled,
            (None, _) => ProxySetting::FromEnv,
        },
        idempotency_keys: options.idempotency_keys.unwrap_or(false),
    })
}

/// Core options for one call, and the sink its log records go to.
pub fn request_options(
    options: Option<NativeRequestOptions>,
    cancel: Option<CancellationToken>,
) -> (Result<RequestOptions, Error>, LogSink) {
    let Some(options) = options else {
        let options = RequestOptions {
            cancel,
            ..RequestOptions::default()
        };
        return (Ok(options), LogSink::new(false));
    };
    let logs = LogSink::new(options.log == Some(true));
    let converted = convert_request_options(options, cancel, &logs);
    (converted, logs)
}

fn convert_request_options(
    options: NativeRequestOptions,
    cancel: Option<CancellationToken>,
    logs: &LogSink,
) -> Result<RequestOptions, Error> {
    Ok(RequestOptions {
        timeout: options
            .timeout
            .map(|ms| milliseconds("timeout", ms))
            .transpose()?,
        max_retries: options
            .max_retries
            .map(|count| retry_count("maxRetries", count))
            .transpose()?,
        headers: options.headers.unwrap_or_default().into_iter().collect(),
        cancel,
        observer: logs.observer(),
        idempotency_key: options.idempotency_key,
    })
}

fn milliseconds(field: &'static str, ms: f64) -> Result<Duration, Error> {
    if !ms.is_finite() || ms <= 0.0 {
        return Err(Error::invalid(
            field,
            format!("must be a positive, finite number of milliseconds, got {ms}"),
        ));
    }
    Duration::try_from_secs_f64(ms / 1000.0)
        .map_err(|_| Error::invalid(field, format!("{ms} ms is too long")))
}

fn retry_count(field: &'static str, count: f64) -> Result<u32, Error> {
    whole_number(field, count, u32::MAX.into()).map(|whole| whole as u32)
}

fn byte_count(field: &'static str, bytes: f64) -> Result<u64, Error> {
    match whole_number(field, bytes, MAX_SAFE_INTEGER) {
        Ok(whole) if whole >= 1.0 => Ok(whole as u64),
        _ => Err(Error::invalid(
            field,
            format!("must be a positive integer number of bytes, got {bytes}"),
        )),
    }
}

/// 2^53: the largest integer a JS number holds exactly.
pub(crate) const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

/// A JS number that must be a whole number from 0 to `max`.
pub(crate) fn whole_number(field: &'static str, value: f64, max: f64) -> Result<f64, Error> {
    if value.fract() != 0.0 || !(0.0..=max).contains(&value) {
        return Err(Error::invalid(
            field,
            format!("must be a non-negative integer, got {value}"),
        ));
    }
    Ok(value)
}
