//! The invocation types as JS sees them. Their doc comments become `index.d.ts`.

use kernel_core::Invocation as CoreInvocation;
use napi::bindgen_prelude::{Null, ToNapiValue};

use crate::failure::NativeFailure;
use napi::sys;
use napi_derive::napi;

/// Status of an invocation.
#[napi(string_enum = "lowercase")]
pub enum InvocationStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
}

/// A status an update may set.
#[napi(string_enum = "lowercase")]
pub enum InvocationUpdateStatus {
    Succeeded,
    Failed,
}

/// A core invocation on its way to JS: exactly the fields the server sent (see the core's
/// `lenient.rs`), set in one napi call.
pub struct InvocationToJs(pub CoreInvocation);

impl ToNapiValue for InvocationToJs {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        let core = value.0;
        let texts = [
            ("id", &core.id),
            ("app_name", &core.app_name),
            ("action_name", &core.action_name),
            ("payload", &core.payload),
            ("output", &core.output),
            ("started_at", &core.started_at),
            ("finished_at", &core.finished_at),
            ("status_reason", &core.status_reason),
            ("version", &core.version),
        ];
        let mut fields = Vec::with_capacity(texts.len() + 1 + core.extra.len());
        for (name, text) in texts {
            if let Some(text) = text {
                fields.push((name, <&str>::to_napi_value(env, text)?));
            }
        }
        if let Some(status) = &core.status {
            fields.push(("status", <&str>::to_napi_value(env, status.as_str())?));
        }
        // What the core could not type (missing fields are absent, nulls and other types are
        // here) and the fields this version does not know: JS gets all of it as sent.
        for (name, field) in &core.extra {
            fields.push((name.as_str(), crate::json::to_js(env, field)?));
        }
        crate::json::object(env, &fields)
    }
}

/// A page of invocations, with what the server said about the next page.
pub struct PageToJs(pub kernel_core::Page<CoreInvocation>);

impl ToNapiValue for PageToJs {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        let page = value.0;
        // The walk's next step, or why there is none to take (see `Page::next_page_offset`).
        let (next_page_offset, next_page_error) = match page.next_page_offset() {
            Ok(Some(offset)) => (
                f64::to_napi_value(env, offset as f64)?,
                Null::to_napi_value(env, Null)?,
            ),
            Ok(None) => (
                Null::to_napi_value(env, Null)?,
                Null::to_napi_value(env, Null)?,
            ),
            Err(error) => (
                Null::to_napi_value(env, Null)?,
                NativeFailure::to_napi_value(env, NativeFailure::from(error))?,
            ),
        };
        let items = crate::json::array(
            env,
            page.items
                .into_iter()
                .map(|invocation| InvocationToJs::to_napi_value(env, InvocationToJs(invocation))),
        )?;
        let has_more = match page.has_more {
            Some(flag) => bool::to_napi_value(env, flag)?,
            None => Null::to_napi_value(env, Null)?,
        };
        let next_offset = match page.next_offset {
            Some(offset) => f64::to_napi_value(env, offset as f64)?,
            None => Null::to_napi_value(env, Null)?,
        };
        crate::json::object(
            env,
            &[
                ("items", items),
                ("has_more", has_more),
                ("next_offset", next_offset),
                ("next_page_offset", next_page_offset),
                ("next_page_error", next_page_error),
            ],
        )
    }
}
