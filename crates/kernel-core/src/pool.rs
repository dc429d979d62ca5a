//! The reqwest clients behind every [`crate::Client`]: one per distinct TLS-and-proxy setting,
//! shared process-wide, so clients with the same settings share one connection pool.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use crate::error::Error;
use crate::trust;

/// Where requests go through. reqwest reads `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and
/// `NO_PROXY` (and their lower-case forms) when it builds a client with
/// [`ProxySetting::FromEnv`]: for the default settings, once per process.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub enum ProxySetting {
    /// As the environment variables say (the default).
    #[default]
    FromEnv,
    /// Straight to the server, whatever the environment says.
    Disabled,
    /// Every request through this proxy (an `http://` or `https://` URL; credentials in the
    /// URL are used for the proxy and never printed).
    Url(String),
}

/// Credentials in a proxy URL stay out of `Debug` prints.
impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxySetting::FromEnv => f.write_str("FromEnv"),
            ProxySetting::Disabled => f.write_str("Disabled"),
            ProxySetting::Url(url) => {
                let shown = url::Url::parse(url)
                    .ok()
                    .map(|url| {
                        format!(
                            "{}://{}{}",
                            url.scheme(),
                            url.host_str().unwrap_or(""),
                            url.port()
                                .map(|port| format!(":{port}"))
                                .unwrap_or_default()
                        )
                    })
                    .unwrap_or_else(|| "<invalid>".to_owned());
                f.debug_tuple("Url").field(&shown).finish()
            }
        }
    }
}

/// What makes one reqwest client differ from another.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct TransportSettings {
    /// PEM certificates trusted in addition to the default roots (see [`crate::trust`]).
    pub extra_ca_pem: Option<String>,
    pub proxy: ProxySetting,
}

/// Building a reqwest client sets up TLS and the connector (and reads the environment's CA
/// files the first time), so
/// clients are built once per setting and shared. The default setting's client lives as long
/// as the process (a serverless handler making a `new Kernel()` per request must not rebuild
/// it); a client with its own proxy or CA lives while some `Client` uses it, so settings that
/// keep changing (a rotating proxy password, say) do not pile up.
pub(crate) fn http_client(settings: &TransportSettings) -> Result<Arc<reqwest::Client>, Error> {
    if *settings == TransportSettings::default() {
        static DEFAULT: OnceLock<Result<Arc<reqwest::Client>, String>> = OnceLock::new();
        return DEFAULT
            .get_or_init(|| build(settings).map(Arc::new).map_err(|err| err.to_string()))
            .clone()
            .map_err(Error::Config);
    }
    static CUSTOM: OnceLock<Mutex<HashMap<TransportSettings, Weak<reqwest::Client>>>> =
        OnceLock::new();
    let mut clients = CUSTOM
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(client) = clients.get(settings).and_then(Weak::upgrade) {
        return Ok(client);
    }
    clients.retain(|_, client| client.strong_count() > 0);
    let client = Arc::new(build(settings)?);
    clients.insert(settings.clone(), Arc::downgrade(&client));
    Ok(client)
}

fn build(settings: &TransportSettings) -> Result<reqwest::Client, Error> {
    // Certificates are always verified, against `trust::root_store` only: there is no switch
    // to turn verification off. The TLS config is built here, not by reqwest, so that the roots
    // go in as ready trust anchors (see `trust.rs`).
    let tls = rustls::ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()
        .map_err(|err| Error::Config(format!("Could not set up TLS: {err}")))?
        .with_root_certificates(trust::root_store(settings.extra_ca_pem.as_deref())?)
        .with_no_client_auth();
    let builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        // hyper's default is 100 header lines; real proxies and CDNs send more, and a response
        // refused for it would be retried (the SDK takes them). The head stays bounded by
        // hyper's buffer limit. Not free: hyper then allocates room for this many on every
        // response (64 bytes a line), which costs a few per cent of calls/s at 64 in flight.
        .http1_max_headers(MAX_RESPONSE_HEADERS)
        // Retries are the transport's (`transport.rs`). reqwest's own, for HTTP/2 refusals
        // this HTTP/1 client never gets, copied every request (headers, extensions, body)
        // before sending it, in case; with no retry allowed it copies nothing.
        .retry(reqwest::retry::never().max_retries_per_request(0));
    let builder = match &settings.proxy {
        ProxySetting::FromEnv => builder,
        ProxySetting::Disabled => builder.no_proxy(),
        ProxySetting::Url(url) => builder.proxy(proxy_from_url(url)?),
    };
    builder
        .build()
        .map_err(|err| Error::Config(format!("Could not set up the HTTP client: {err}")))
}

/// Response header lines accepted, at most: 1 000 of the server's own and room for the usual.
pub(crate) const MAX_RESPONSE_HEADERS: usize = 1_100;

/// The provider an application installed, else ring (smaller and faster to build than
/// aws-lc; reqwest is built without a default).
fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    rustls::crypto::CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// The URL is never echoed in the error: it may hold the proxy's password.
fn proxy_from_url(raw: &str) -> Result<reqwest::Proxy, Error> {
    let invalid = || {
        Error::Config(
            "Invalid proxy: expected an http:// or https:// URL such as http://proxy.internal:3128"
                .to_owned(),
        )
    };
    let url = url::Url::parse(raw.trim()).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid());
    }
    reqwest::Proxy::all(url).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_credentials_stay_out_of_debug_and_errors() {
        let setting = ProxySetting::Url("http://user:hunter2@proxy.test:3128".into());
        let printed = format!("{setting:?}");
        assert_eq!(printed, r#"Url("http://proxy.test:3128")"#);
        for bad in [
            "ftp://user:hunter2@proxy.test",
            "not a url hunter2",
            "http://",
        ] {
            let message = proxy_from_url(bad).unwrap_err().to_string();
            assert!(message.starts_with("Invalid proxy"), "{message}");
            assert!(!message.contains("hunter2"), "{message}");
        }
    }

    #[test]
    fn same_settings_share_one_client_while_it_is_used_and_bad_ca_is_refused() {
        let default = TransportSettings::default();
        assert!(Arc::ptr_eq(
            &http_client(&default).unwrap(),
            &http_client(&default).unwrap()
        ));
        let proxied = TransportSettings {
            proxy: ProxySetting::Url("http://user:pw@127.0.0.1:9".into()),
            ..TransportSettings::default()
        };
        let first = http_client(&proxied).unwrap();
        assert!(Arc::ptr_eq(&first, &http_client(&proxied).unwrap()));
        let weak = Arc::downgrade(&first);
        drop(first);
        assert!(
            weak.upgrade().is_none(),
            "an unused custom client is not kept"
        );
        let bad = TransportSettings {
            extra_ca_pem: Some("not a certificate".into()),
            ..TransportSettings::default()
        };
        let message = http_client(&bad).unwrap_err().to_string();
        assert!(message.starts_with("Invalid ca"), "{message}");
    }
}
