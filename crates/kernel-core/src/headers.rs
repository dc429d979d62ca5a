//! Headers a caller gives, checked before anything is sent, and headers shown in debug logs,
//! with credentials hidden.

use http::header::{HeaderName, HeaderValue, AUTHORIZATION};
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

/// Header names and values for a debug log, with credentials hidden.
pub(crate) fn redacted(headers: &HeaderMap) -> String {
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
