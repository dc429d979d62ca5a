//! What a successful call hands JS: `[data, NativeResponse]`, where the response carries the
//! status, headers, raw body and log records for `withResponse()`, `asResponse()` and logging.

use std::collections::HashMap;

use http::HeaderMap;
use kernel_core::{Error, Response, Undecoded};
use napi::bindgen_prelude::{Buffer, ToNapiValue};
use napi::{check_status, sys};
use napi_derive::napi;

use crate::failure::NativeFailure;
use crate::headers::{head_block, headers_to_record};
use crate::logs::{LogEntry, LogSink};
use crate::outcome::Outcome;

/// The HTTP side of a successful call.
#[napi]
pub struct NativeResponse {
    status: u16,
    headers: HeaderMap,
    body: bytes::Bytes,
    logs: Vec<LogEntry>,
}

#[napi]
impl NativeResponse {
    /// The HTTP status.
    #[napi(getter)]
    pub fn status(&self) -> u32 {
        u32::from(self.status)
    }

    /// The response headers.
    #[napi(getter)]
    pub fn headers(&self) -> HashMap<String, String> {
        headers_to_record(&self.headers)
    }

    /// The body as received (empty for event streams).
    #[napi]
    pub fn body(&self) -> Buffer {
        Buffer::from(self.body.to_vec())
    }

    /// The call's log records, oldest first (empty unless logging was asked for).
    #[napi]
    pub fn take_logs(&mut self) -> Vec<LogEntry> {
        std::mem::take(&mut self.logs)
    }
}

/// `[data, response]`.
pub struct Success<T> {
    data: T,
    response: NativeResponse,
}

impl<T: ToNapiValue> ToNapiValue for Success<T> {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        let data = T::to_napi_value(env, value.data)?;
        let response = NativeResponse::to_napi_value(env, value.response)?;
        crate::json::array(env, [Ok(data), Ok(response)].into_iter())
    }
}

/// A success whose body JS parses with `JSON.parse`, which builds objects several times faster
/// than setting their properties from Rust: on the JS thread (the I/O thread only reads the
/// body), the core checks it is an object its typed decoding would accept, failing the same
/// way if not. JS receives `[text, head]` (`head_block`), and the call's log records third
/// when there are any: strings, not a `NativeResponse`, whose wrapper costs more to make and
/// to collect than the rest of the result.
pub struct JsonText {
    response: Response<Undecoded>,
    logs: Vec<LogEntry>,
}

/// The outcome of a call whose answer is a JSON object JS parses itself.
pub fn settle_json(
    result: Result<Response<Undecoded>, Error>,
    logs: &LogSink,
) -> Outcome<JsonText> {
    match result {
        Ok(response) => Outcome::Success(JsonText {
            response,
            logs: logs.take(),
        }),
        Err(error) => Outcome::Failure(Box::new(NativeFailure::from(error).with_logs(logs.take()))),
    }
}

impl ToNapiValue for JsonText {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        let response = match value.response.check_object() {
            Ok(response) => response,
            Err(error) => {
                let failure = NativeFailure::from(error).with_logs(value.logs);
                return NativeFailure::to_napi_value(env, failure);
            }
        };
        // Checked: the body is UTF-8, so the text is exactly the bytes received.
        let mut text = std::ptr::null_mut();
        check_status!(sys::napi_create_string_utf8(
            env,
            response.body.as_ptr().cast(),
            response.body.len() as isize,
            &mut text,
        ))?;
        let block = head_block(response.status.as_u16(), &response.headers);
        let mut head = std::ptr::null_mut();
        check_status!(sys::napi_create_string_latin1(
            env,
            block.as_ptr().cast(),
            block.len() as isize,
            &mut head,
        ))?;
        if value.logs.is_empty() {
            return crate::json::array(env, [Ok(text), Ok(head)].into_iter());
        }
        let logs = Vec::<LogEntry>::to_napi_value(env, value.logs)?;
        crate::json::array(env, [Ok(text), Ok(head), Ok(logs)].into_iter())
    }
}

/// Turns a core result into what JS receives, converting the data with `convert`. A value that
/// cannot be converted is a `Decode` failure naming why, never a default in its place.
pub fn settle<D, T>(
    result: Result<Response<D>, Error>,
    logs: &LogSink,
    convert: impl FnOnce(D) -> Result<T, String>,
) -> Outcome<Success<T>> {
    let converted = result.and_then(|response| match convert(response.data) {
        Ok(data) => Ok(Success {
            data,
            response: NativeResponse {
                status: response.status.as_u16(),
                headers: response.headers,
                body: response.body,
                logs: Vec::new(),
            },
        }),
        Err(reason) => Err(Error::Decode {
            status: response.status.as_u16(),
            expected: "a value JavaScript can hold",
            reason,
        }),
    });
    match converted {
        Ok(mut success) => {
            success.response.logs = logs.take();
            Outcome::Success(success)
        }
        Err(error) => Outcome::Failure(Box::new(NativeFailure::from(error).with_logs(logs.take()))),
    }
}
