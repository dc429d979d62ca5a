//! Response headers as JS receives them.

use std::collections::HashMap;

use http::{HeaderMap, HeaderName};

/// Header values as fetch's `Headers` reads them: one char per byte (Latin-1); repeated
/// headers joined with `, `.
pub fn headers_to_record(headers: &HeaderMap) -> HashMap<String, String> {
    headers
        .keys()
        .map(|name| {
            let mut value = Vec::new();
            push_joined(headers, name, &mut value);
            let value = value.iter().map(|&b| char::from(b)).collect();
            (name.as_str().to_owned(), value)
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
    for name in headers.keys() {
        block.extend_from_slice(name.as_str().as_bytes());
        block.push(b':');
        push_joined(headers, name, &mut block);
        block.push(b'\n');
    }
    block
}

/// The values of header `name`, joined by `, `.
fn push_joined(headers: &HeaderMap, name: &HeaderName, out: &mut Vec<u8>) {
    for (index, part) in headers.get_all(name).iter().enumerate() {
        if index > 0 {
            out.extend_from_slice(b", ");
        }
        out.extend_from_slice(part.as_bytes());
    }
}
