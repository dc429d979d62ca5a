//! Response headers as JS receives them.

use std::collections::HashMap;

use http::HeaderMap;

/// Header values as fetch's `Headers` reads them: one char per byte (Latin-1); repeated
/// headers joined with `, `.
pub fn headers_to_record(headers: &HeaderMap) -> HashMap<String, String> {
    let mut record: HashMap<String, String> = HashMap::new();
    for (name, value) in headers {
        let value: String = value.as_bytes().iter().map(|&b| char::from(b)).collect();
        record
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert(value);
    }
    record
}
