//! A call's answer: the decoded data with the status, headers and raw body it came with.

use bytes::Bytes;
use http::{HeaderMap, StatusCode};

use crate::error::Error;

/// A decoded answer with what came with it: status, headers and the raw body.
#[derive(Clone, Debug)]
pub struct Response<T> {
    /// The decoded body.
    pub data: T,
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as received (empty for event streams).
    pub body: Bytes,
}

impl<T> Response<T> {
    /// The `x-request-id` the server gave this response, if any.
    pub fn request_id(&self) -> Option<&str> {
        self.headers
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
    }

    /// The decoded body alone.
    pub fn into_data(self) -> T {
        self.data
    }

    /// The same answer with its data passed through `f`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Response<U> {
        Response {
            data: f(self.data),
            status: self.status,
            headers: self.headers,
            body: self.body,
        }
    }
}

/// A success answer whose body was read whole.
pub(crate) type RawResponse = Response<()>;

impl RawResponse {
    /// Decodes the body as `T`; a body that is not `T` in JSON is [`Error::Decode`], never a
    /// half-filled value.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(
        self,
        expected: &'static str,
    ) -> Result<Response<T>, Error> {
        self.undecoded(expected).decode()
    }

    /// The answer with its body left to decode later, by [`Response::decode`] or
    /// [`Response::check_object`].
    pub(crate) fn undecoded(self, expected: &'static str) -> Response<Undecoded> {
        self.map(|()| Undecoded { expected })
    }
}

/// The data of an answer whose body is not decoded yet: what the body should hold.
#[derive(Clone, Copy, Debug)]
pub struct Undecoded {
    expected: &'static str,
}

impl Response<Undecoded> {
    /// Decodes the body as `T` (the answer types decode as `lenient.rs` says).
    pub fn decode<T: serde::de::DeserializeOwned>(self) -> Result<Response<T>, Error> {
        let data = serde_json::from_slice(&self.body).map_err(|err| self.decode_error(err))?;
        Ok(self.map(|_| data))
    }

    /// Checks, without building anything, that the body is one JSON object that
    /// [`Response::decode`] would accept as an answer type, with the same error if not; the
    /// body is then the object's JSON text. For callers that parse the text themselves: the
    /// Node.js binding hands it to `JSON.parse`, which builds JS objects faster than any
    /// conversion from Rust values can.
    pub fn check_object(self) -> Result<Response<()>, Error> {
        crate::lenient::check_object(&self.body).map_err(|err| self.decode_error(err))?;
        Ok(self.map(|_| ()))
    }

    fn decode_error(&self, err: serde_json::Error) -> Error {
        Error::Decode {
            status: self.status.as_u16(),
            expected: self.data.expected,
            reason: err.to_string(),
        }
    }
}
