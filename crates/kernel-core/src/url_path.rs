//! Building request URLs: the base URL keeps its path prefix, and every caller-supplied path
//! segment is percent-encoded so it cannot change the path.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::Error;

/// Everything but RFC 3986 unreserved characters is encoded, so `/`, `?`, `#` and `%` in an id
/// stay inside its segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Checks a base URL and returns it parsed, its path ending with `/`, ready for request paths.
pub(crate) fn normalize_base_url(raw: &str) -> Result<url::Url, Error> {
    let mut parsed = url::Url::parse(raw.trim())
        .map_err(|err| Error::Config(format!("Invalid baseURL {raw:?}: {err}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "Invalid baseURL {raw:?}: the scheme must be http or https"
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "Invalid baseURL {raw:?}: it must not have a query or a fragment"
        )));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::Config(
            "Invalid baseURL: credentials in the URL are not supported; use apiKey".to_owned(),
        ));
    }
    if !parsed.path().ends_with('/') {
        let path = format!("{}/", parsed.path());
        parsed.set_path(&path);
    }
    Ok(parsed)
}

/// Encodes one path segment supplied by a caller (an id). The URL parser would resolve `.` and
/// `..` (even encoded as `%2e`) against the path, so they are refused rather than sent.
pub(crate) fn encode_segment(field: &'static str, value: &str) -> Result<String, Error> {
    if value.is_empty() {
        return Err(Error::invalid(field, "must be a non-empty string"));
    }
    if value == "." || value == ".." {
        return Err(Error::invalid(
            field,
            format!("{value:?} is not a valid id"),
        ));
    }
    let encoded = utf8_percent_encode(value, SEGMENT).to_string();
    if encoded.len() > MAX_SEGMENT_BYTES {
        // The value itself stays out of the message: it is long, and it may be anything.
        return Err(Error::invalid(
            field,
            format!(
                "it is {} characters long ({} bytes in the URL), over the {MAX_SEGMENT_BYTES}-byte limit of one path segment",
                value.chars().count(),
                encoded.len()
            ),
        ));
    }
    Ok(encoded)
}

/// The longest path segment (an id, percent-encoded) sent. Real ids are 24 characters; a URL
/// of over 64 KiB is not one a request can carry, and most servers refuse far less.
pub(crate) const MAX_SEGMENT_BYTES: usize = 8 * 1024;

/// The longest URL a request can carry (the `http` crate's limit for a URI).
pub(crate) const MAX_URL_BYTES: usize = 65_534;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlong_segment_is_refused_naming_its_length_not_its_value() {
        let id = "a".repeat(70_000);
        let err = encode_segment("id", &id).unwrap_err().to_string();
        assert!(
            err.contains("70000") && !err.contains(&"a".repeat(100)),
            "{err}"
        );
        assert!(encode_segment("id", &"b".repeat(MAX_SEGMENT_BYTES)).is_ok());
    }

    #[test]
    fn base_url_keeps_its_prefix_with_one_trailing_slash() {
        assert_eq!(
            normalize_base_url("http://host/v1").unwrap().as_str(),
            "http://host/v1/"
        );
        assert_eq!(
            normalize_base_url("http://host/v1/").unwrap().as_str(),
            "http://host/v1/"
        );
        assert_eq!(
            normalize_base_url("https://api.onkernel.com")
                .unwrap()
                .as_str(),
            "https://api.onkernel.com/"
        );
        assert_eq!(
            normalize_base_url(" http://127.0.0.1:8080 ")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/"
        );
    }

    #[test]
    fn bad_base_urls_are_config_errors() {
        for raw in [
            "",
            "not a url",
            "ftp://host/",
            "http://host/?a=1",
            "http://host/#x",
            "http://u:p@host/",
        ] {
            assert!(
                matches!(normalize_base_url(raw), Err(Error::Config(_))),
                "{raw}"
            );
        }
    }

    #[test]
    fn segments_cannot_escape() {
        assert_eq!(encode_segment("id", "abc").unwrap(), "abc");
        assert_eq!(encode_segment("id", "a/b?c#d").unwrap(), "a%2Fb%3Fc%23d");
        assert_eq!(encode_segment("id", "../x").unwrap(), "..%2Fx");
        assert_eq!(encode_segment("id", "%2e%2e").unwrap(), "%252e%252e");
        assert_eq!(
            encode_segment("id", "é 🚀").unwrap(),
            "%C3%A9%20%F0%9F%9A%80"
        );
        assert!(matches!(
            encode_segment("id", ""),
            Err(Error::InvalidInput { field: "id", .. })
        ));
        assert!(encode_segment("id", "..").is_err());
        assert!(encode_segment("id", ".").is_err());
    }

    #[test]
    fn encoded_segments_survive_url_parsing() {
        for id in ["../x", "%2e%2e", "a?b", "a#b", "..%2F", "a..b"] {
            let url = url::Url::parse(&format!(
                "http://h/v1/invocations/{}",
                encode_segment("id", id).unwrap()
            ))
            .unwrap();
            let segments: Vec<_> = url.path_segments().unwrap().collect();
            assert_eq!(segments.len(), 3, "{id}: {url}");
            assert_eq!(url.query(), None);
            assert_eq!(url.fragment(), None);
            let decoded = percent_encoding::percent_decode_str(segments[2])
                .decode_utf8()
                .unwrap();
            assert_eq!(decoded, id);
        }
    }
}
