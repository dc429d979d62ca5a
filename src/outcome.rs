//! How a call's result reaches JS: the value itself, or a [`NativeFailure`].

use kernel_core::Error;
use napi::bindgen_prelude::ToNapiValue;
use napi::sys;

use crate::failure::NativeFailure;

/// Resolving (never rejecting) with a failure value lets status, headers and body travel as
/// typed fields instead of text. The failure is boxed: successes, the common case, stay small.
pub enum Outcome<T> {
    Success(T),
    Failure(Box<NativeFailure>),
}

impl<T> From<Result<T, Error>> for Outcome<T> {
    fn from(result: Result<T, Error>) -> Self {
        match result {
            Ok(value) => Outcome::Success(value),
            Err(error) => Outcome::Failure(Box::new(error.into())),
        }
    }
}

impl<T: ToNapiValue> ToNapiValue for Outcome<T> {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        match value {
            Outcome::Success(value) => T::to_napi_value(env, value),
            Outcome::Failure(failure) => NativeFailure::to_napi_value(env, *failure),
        }
    }
}
