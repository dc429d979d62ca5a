//! Headers a caller gives, checked before anything is sent, and headers shown in debug logs,
//! with credentials hidden.

use http::header::{
    HeaderName, HeaderValue, AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION, SET_COOKIE,
};
use http::HeaderMap;

use crate::error::Error;

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

/// Headers whose values are credentials: the API key, session cookies, proxy passwords.
const CREDENTIALS: [HeaderName; 4] = [AUTHORIZATION, COOKIE, SET_COOKIE, PROXY_AUTHORIZATION];

/// Header names and values for a debug log, with credentials hidden.
pub(crate) fn redacted(headers: &HeaderMap) -> String {
    let shown: Vec<String> = headers
        .iter()
        .map(|(name, value)| {
            let secret = value.is_sensitive()
                || CREDENTIALS.contains(name)
                || name.as_str().contains("api-key");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_hidden_from_logs() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("authorization", "Bearer k1"),
            ("cookie", "session=k2"),
            ("set-cookie", "a=k3"),
            ("proxy-authorization", "Basic k4"),
            ("x-api-key", "k5"),
            ("x-trace", "shown"),
        ] {
            let (name, value) = parse_header("headers", name, value).unwrap();
            headers.insert(name, value);
        }
        let shown = redacted(&headers);
        for secret in ["k1", "k2", "k3", "k4", "k5"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(
            shown.contains("cookie: ***") && shown.contains("x-trace: shown"),
            "{shown}"
        );
    }
}
