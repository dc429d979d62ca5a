//! Reading an answer off the wire: bounded in size, and copied out of the connection's buffers.

use bytes::{Bytes, BytesMut};
use http::header::HeaderValue;
use http::HeaderMap;

use crate::error::Error;

/// What to do with a body longer than the limit.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Overflow {
    /// Fail with [`Error::ResponseTooLarge`]: a success body cut short would be a wrong value.
    Fail,
    /// Keep the first `limit` bytes: an error answer keeps its status (and stays retryable),
    /// and its message is read from what fits.
    Truncate,
}

/// Reads a body up to `limit` bytes, never more: an announced length over the limit is
/// handled before reading, an unannounced one when the limit is crossed. The chunks are copied
/// into a buffer of the body's own, so that the body does not keep the connection's read
/// buffer alive (see `detached`).
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
    overflow: Overflow,
) -> Result<Bytes, Error> {
    let too_large = || Error::ResponseTooLarge { limit };
    let announced_too_large = response
        .content_length()
        .is_some_and(|length| length > limit);
    if announced_too_large && overflow == Overflow::Fail {
        return Err(too_large());
    }
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut body = BytesMut::new();
    while let Some(bytes) = response.chunk().await.map_err(Error::from_transport)? {
        if body.len() + bytes.len() > limit {
            if overflow == Overflow::Fail {
                return Err(too_large());
            }
            // The rest is not read: dropping the response closes its connection.
            let room = limit - body.len();
            body.extend_from_slice(&bytes[..room]);
            break;
        }
        body.extend_from_slice(&bytes);
    }
    Ok(body.freeze())
}

/// `headers` copied out of the connection's read buffer. hyper hands out header values (and a
/// single-chunk body) as slices of that buffer, 8 KiB or more, so a `Response` holding them
/// would keep the whole buffer alive. The binding hands responses to JS, where they live until
/// a garbage collection that the small JS objects rarely trigger: the slices held about 9 KiB
/// per call, 25 MiB after a few thousand calls, and the process's RSS kept that high-water mark.
pub(crate) fn detached(headers: HeaderMap) -> HeaderMap {
    let mut owned = HeaderMap::with_capacity(headers.len());
    for (name, value) in &headers {
        let mut copy = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        copy.set_sensitive(value.is_sensitive());
        owned.append(name.clone(), copy);
    }
    owned
}
