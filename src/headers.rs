//! Response headers as JS receives them.

use std::collections::HashMap;

use http::HeaderMap;

/// Header values as fetch's `Headers` reads them: one char per byte (Latin-1); repeated
/// headers joined with `, `.
pub fn headers_to_record(headers: &HeaderMap) -> HashMap<String, String> {
    joined(headers)
        .map(|(name, value)| {
            let value = value.iter().map(|&b| char::from(b)).collect();
            (name.to_owned(), value)
        })
        .collect()
}

/// The status and headers in one Latin-1 text, `status\nname:value\n...`, values joined as in
/// [`headers_to_record`]: one JS string instead of an object per response, split by
/// `lib/api-promise.js` only if the caller asks for the response. Names hold no `:` and
/// values no line breaks (hyper refuses both), so the lines split unambiguously.
pub fn head_block(status: u16, headers: &HeaderMap) -> Vec<u8> {
    let mut block = Vec::with_capacity(256);
    block.extend_from_slice(status.to_string().as_bytes());
    block.push(b'\n');
    for (name, value) in joined(headers) {
        block.extend_from_slice(name.as_bytes());
        block.push(b':');
        block.extend_from_slice(&value);
        block.push(b'\n');
    }
    block
}

/// Each header name once, with its values joined by `, `.
fn joined(headers: &HeaderMap) -> impl Iterator<Item = (&str, Vec<u8>)> {
    headers.keys().map(|name| {
        let mut value = Vec::new();
        for (index, part) in headers.get_all(name).iter().enumerate() {
            if index > 0 {
                value.extend_from_slice(b", ");
            }
            value.extend_from_slice(part.as_bytes());
        }
        (name.as_str(), value)
    })
}
