//! The client: checks the options once and builds the transport that every call borrows.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderValue, ACCEPT, AUTHORIZATION, USER_AGENT};
use http::HeaderMap;

use crate::config::{
    check_timeout, ClientOptions, Environment, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT, MISSING_API_KEY,
};
use crate::error::Error;
use crate::headers::{apply_headers, parse_header};
use crate::invocations::Invocations;
use crate::pool::{http_client, TransportSettings};
use crate::transport::Transport;
use crate::url_path::normalize_base_url;

/// A Kernel API client. Cloning is cheap and clones share everything, including the
/// process-wide connection pool.
#[derive(Clone)]
pub struct Client {
    transport: Arc<Transport>,
}

impl Client {
    /// Checks `options` and builds a client. Fails with [`Error::Config`] when the API key is
    /// missing or blank, the base URL is unusable or given together with an environment, and
    /// with [`Error::InvalidInput`] for a zero timeout or an invalid default header.
    pub fn new(options: ClientOptions) -> Result<Self, Error> {
        let api_key = options
            .api_key
            .as_deref()
            .filter(|key| !key.trim().is_empty())
            .ok_or_else(|| Error::Config(MISSING_API_KEY.to_owned()))?;
        let base = match (&options.base_url, options.environment) {
            (Some(_), Some(_)) => {
                return Err(Error::Config(
                    "Ambiguous URL; The `baseURL` option (or KERNEL_BASE_URL env var) and the `environment` option are given. If you want to use the environment you must pass baseURL: null".to_owned(),
                ))
            }
            (Some(url), None) => normalize_base_url(url)?,
            (None, environment) => {
                let url = environment.unwrap_or(Environment::Production).base_url();
                reqwest::Url::parse(url)
                    .map_err(|err| Error::Config(format!("Invalid baseURL {url:?}: {err}")))?
            }
        };
        let timeout = match options.timeout {
            Some(timeout) => check_timeout("timeout", timeout)?,
            None => DEFAULT_TIMEOUT,
        };

        let mut default_headers = HeaderMap::new();
        default_headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        let user_agent = options
            .user_agent
            .unwrap_or_else(|| format!("kernel-core/{}", crate::VERSION));
        let (_, user_agent) = parse_header("userAgent", "user-agent", &user_agent)?;
        default_headers.insert(USER_AGENT, user_agent);
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {api_key}")).map_err(|_| {
                Error::invalid(
                    "apiKey",
                    "contains characters not allowed in an HTTP header (such as CR or LF)",
                )
            })?;
        authorization.set_sensitive(true);
        default_headers.insert(AUTHORIZATION, authorization);
        apply_headers(
            "defaultHeaders",
            &mut default_headers,
            &options.default_headers,
        )?;

        let max_response_bytes = options
            .max_response_bytes
            .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES);
        if max_response_bytes == 0 {
            return Err(Error::invalid(
                "maxResponseBytes",
                "must be at least 1 byte",
            ));
        }
        let transport = TransportSettings {
            extra_ca_pem: options.extra_ca_pem,
            proxy: options.proxy,
        };

        Ok(Client {
            transport: Arc::new(Transport {
                http: http_client(&transport)?,
                base,
                default_headers,
                timeout,
                max_retries: options.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
                max_response_bytes,
                idempotency_keys: options.idempotency_keys,
            }),
        })
    }

    /// The base URL requests go to, ending with `/`.
    pub fn base_url(&self) -> &str {
        self.transport.base.as_str()
    }

    /// The per-attempt timeout.
    pub fn timeout(&self) -> Duration {
        self.transport.timeout
    }

    /// Retries after the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.transport.max_retries
    }

    /// The invocations resource: `PATCH /invocations/{id}` and friends.
    pub fn invocations(&self) -> Invocations<'_> {
        Invocations {
            transport: &self.transport,
        }
    }
}

/// Prints no header values: the Authorization header holds the API key.
impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.transport.base.as_str())
            .field("timeout", &self.transport.timeout)
            .field("max_retries", &self.transport.max_retries)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(key: &str) -> ClientOptions {
        ClientOptions {
            api_key: Some(key.to_owned()),
            ..ClientOptions::default()
        }
    }

    #[test]
    fn defaults_match_the_official_sdk() {
        let client = Client::new(options("k")).unwrap();
        assert_eq!(client.base_url(), "https://api.onkernel.com/");
        assert_eq!(client.timeout(), Duration::from_secs(60));
        assert_eq!(client.max_retries(), 2);
    }

    #[test]
    fn missing_or_blank_key_says_how_to_provide_it() {
        for key in [None, Some(""), Some("  \t")] {
            let err = Client::new(ClientOptions {
                api_key: key.map(str::to_owned),
                ..ClientOptions::default()
            })
            .unwrap_err();
            assert!(
                matches!(&err, Error::Config(m) if m.contains("KERNEL_API_KEY") && m.contains("apiKey"))
            );
        }
    }

    #[test]
    fn environment_and_base_url_conflict() {
        let err = Client::new(ClientOptions {
            base_url: Some("http://localhost:1".into()),
            environment: Some(Environment::Development),
            ..options("k")
        })
        .unwrap_err();
        assert!(matches!(err, Error::Config(m) if m.contains("Ambiguous URL")));
        let dev = Client::new(ClientOptions {
            environment: Some(Environment::Development),
            ..options("k")
        })
        .unwrap();
        assert_eq!(dev.base_url(), "https://localhost:3001/");
    }

    #[test]
    fn key_never_printed() {
        let secret = "sk-very-secret-key";
        let opts = options(secret);
        assert!(!format!("{opts:?}").contains(secret));
        let client = Client::new(opts).unwrap();
        assert!(!format!("{client:?}").contains(secret));
        assert!(!format!("{:?}", client.transport.default_headers).contains(secret));
        let err = Client::new(options("bad\r\nkey-secret")).unwrap_err();
        assert!(!err.to_string().contains("key-secret"));
        assert!(!format!("{err:?}").contains("key-secret"));
    }

    #[test]
    fn bad_headers_and_timeouts_are_rejected() {
        let bad_header = ClientOptions {
            default_headers: vec![("x-a".into(), Some("1\n2".into()))],
            ..options("k")
        };
        assert!(matches!(
            Client::new(bad_header),
            Err(Error::InvalidInput {
                field: "defaultHeaders",
                ..
            })
        ));
        let zero = ClientOptions {
            timeout: Some(Duration::ZERO),
            ..options("k")
        };
        assert!(matches!(
            Client::new(zero),
            Err(Error::InvalidInput {
                field: "timeout",
                ..
            })
        ));
    }
}
