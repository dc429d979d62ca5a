//! Client options: what a caller may set, their defaults, and how they are checked.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::Error;
use crate::pool::ProxySetting;

/// Default per-attempt timeout, as in `@onkernel/sdk`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default number of retries after the first attempt, as in `@onkernel/sdk`.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// Default cap on a response body read whole: far above any invocation, far below what would
/// exhaust a serverless function's memory.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 32 * 1024 * 1024;

/// The named Kernel deployments a client can target instead of a `base_url`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    /// `https://api.onkernel.com/`
    Production,
    /// `https://localhost:3001/`
    Development,
}

impl Environment {
    /// The base URL this environment stands for.
    pub fn base_url(self) -> &'static str {
        match self {
            Environment::Production => "https://api.onkernel.com/",
            Environment::Development => "https://localhost:3001/",
        }
    }
}

impl FromStr for Environment {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self, Error> {
        match value {
            "production" => Ok(Environment::Production),
            "development" => Ok(Environment::Development),
            other => Err(Error::invalid(
                "environment",
                format!("expected 'production' or 'development', got {other:?}"),
            )),
        }
    }
}

/// Everything a [`crate::Client`] can be configured with. Unset fields take the defaults of
/// `@onkernel/sdk`; [`ClientOptions::from_env`] fills `api_key` and `base_url` from
/// `KERNEL_API_KEY` and `KERNEL_BASE_URL`.
#[derive(Clone, Default)]
pub struct ClientOptions {
    /// Bearer token sent as `Authorization: Bearer <api_key>`. Required, not blank.
    pub api_key: Option<String>,
    /// API root; a path prefix such as `http://host/v1` is kept. Conflicts with `environment`.
    pub base_url: Option<String>,
    /// A named deployment; conflicts with `base_url`. Default: production.
    pub environment: Option<Environment>,
    /// Per-attempt timeout covering connect, response headers and the whole body.
    pub timeout: Option<Duration>,
    /// Retries after the first attempt for retryable failures.
    pub max_retries: Option<u32>,
    /// Headers sent with every request; they override the client's own defaults, and `None`
    /// removes one of those (`User-Agent`, say).
    pub default_headers: Vec<(String, Option<String>)>,
    /// Replaces the default `User-Agent` (`kernel-core/<version>`).
    pub user_agent: Option<String>,
    /// Largest response body read; a bigger success body fails the call with
    /// [`Error::ResponseTooLarge`], an error answer's body is cut at the limit. Default
    /// [`DEFAULT_MAX_RESPONSE_BYTES`].
    pub max_response_bytes: Option<u64>,
    /// PEM certificates to trust in addition to the default roots (a private CA, say); see
    /// `trust.rs` for what those are.
    /// Verification itself cannot be turned off.
    pub extra_ca_pem: Option<String>,
    /// Which proxy requests go through; default: as the environment says.
    pub proxy: ProxySetting,
    /// Send a fresh `Idempotency-Key` with every POST, PATCH and DELETE, the same on each of
    /// its retries. A call's own [`crate::RequestOptions::idempotency_key`] wins.
    pub idempotency_keys: bool,
}

impl ClientOptions {
    /// Options with `api_key` and `base_url` taken from `KERNEL_API_KEY` and `KERNEL_BASE_URL`.
    pub fn from_env() -> Self {
        let read = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        ClientOptions {
            api_key: read("KERNEL_API_KEY"),
            base_url: read("KERNEL_BASE_URL"),
            ..ClientOptions::default()
        }
    }
}

/// The API key never reaches a `Debug` print, whatever the caller logs.
impl fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientOptions")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("base_url", &self.base_url)
            .field("environment", &self.environment)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field(
                "default_headers",
                &self
                    .default_headers
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("user_agent", &self.user_agent)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("extra_ca_pem", &self.extra_ca_pem.as_ref().map(String::len))
            .field("proxy", &self.proxy)
            .field("idempotency_keys", &self.idempotency_keys)
            .finish()
    }
}

pub(crate) const MISSING_API_KEY: &str = "The KERNEL_API_KEY environment variable is missing or empty; either provide it, or instantiate the Kernel client with an apiKey option, like new Kernel({ apiKey: 'My API Key' }).";

/// Checks a timeout given by a caller: zero would make every request fail at once.
pub(crate) fn check_timeout(field: &'static str, timeout: Duration) -> Result<Duration, Error> {
    if timeout.is_zero() {
        return Err(Error::invalid(field, "must be greater than 0 ms"));
    }
    Ok(timeout)
}
