//! Helpers shared by the fuzz targets: a lenient reader for raw HTTP response heads (so the
//! seed corpora are readable responses, not opaque `arbitrary` encodings), a JSON comparison
//! that tolerates serde_json's best-effort float parsing, and a small deterministic PRNG.

use http::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

/// A response as the fuzz input spells it: `HTTP/1.1 <status> ...`, header lines, an empty
/// line, then the body. Anything goes: the first run of digits on the first line is the
/// status (0 when there is none, which the decoders map to 500), header lines that `http`
/// would refuse are skipped, and a head without an empty line has an empty body.
pub struct RawResponse<'a> {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: &'a [u8],
}

/// Splits `data` into lines ending in `\n`, `\r\n` or end of input; returns each line without
/// its ending and the rest after the first empty line (the body), if there is one.
fn head_lines(data: &[u8]) -> (Vec<&[u8]>, &[u8]) {
    let mut lines = Vec::new();
    let mut start = 0;
    while start < data.len() {
        let end = data[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |i| start + i);
        let mut line = &data[start..end];
        if let Some(stripped) = line.strip_suffix(b"\r") {
            line = stripped;
        }
        let next = (end + 1).min(data.len());
        if line.is_empty() && !lines.is_empty() {
            return (lines, &data[next..]);
        }
        lines.push(line);
        start = next;
    }
    (lines, &[])
}

fn trim_ows(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

/// Reads `data` as a response; see [`RawResponse`].
pub fn parse_response(data: &[u8]) -> RawResponse<'_> {
    let (lines, body) = head_lines(data);
    let status = lines.first().map_or(0, |line| {
        line.iter()
            .skip_while(|b| !b.is_ascii_digit())
            .take_while(|b| b.is_ascii_digit())
            .take(5)
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
    });
    let mut headers = HeaderMap::new();
    for line in lines.iter().skip(1) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(&line[..colon]),
            HeaderValue::from_bytes(trim_ows(&line[colon + 1..])),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    RawResponse {
        status: u16::try_from(status).unwrap_or(u16::MAX),
        headers,
        body,
    }
}

/// JSON equality where two floats also match when they differ in the last bits: serde_json
/// parses floats best-effort (without its `float_roundtrip` feature), so a value written and
/// read back may move by an ulp. That is serde_json's documented trade-off, not a decoder bug.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if x == y {
                return true;
            }
            match (x.as_f64(), y.as_f64()) {
                (Some(x), Some(y)) => (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs()),
                _ => false,
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(key, x)| y.get(key).is_some_and(|y| json_eq(x, y)))
        }
        _ => a == b,
    }
}

/// FNV-1a: a seed derived from the input, so a run is reproducible from the input alone.
pub fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// SplitMix64.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}
