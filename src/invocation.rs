//! The invocation types as JS sees them. Their doc comments become `index.d.ts`.

use kernel_core::Invocation as CoreInvocation;
use napi::bindgen_prelude::{Either, Null, ToNapiValue};
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

/// An invocation, with every field the server sent (fields newer than this version too).
#[napi(object, object_from_js = false)]
pub struct Invocation {
    /// ID of the invocation.
    pub id: String,
    /// Name of the application.
    #[napi(js_name = "app_name")]
    pub app_name: String,
    /// Name of the action invoked.
    #[napi(js_name = "action_name")]
    pub action_name: String,
    /// Payload provided to the invocation. This is a string that can be parsed as JSON.
    pub payload: Option<String>,
    /// Output produced by the action, rendered as a JSON string. This could be: string,
    /// number, boolean, array, object, or null.
    pub output: Option<String>,
    /// RFC 3339 Nanoseconds timestamp when the invocation started.
    #[napi(js_name = "started_at")]
    pub started_at: String,
    /// RFC 3339 Nanoseconds timestamp when the invocation finished (null if still running).
    #[napi(js_name = "finished_at")]
    pub finished_at: Option<Either<String, Null>>,
    /// Status of the invocation.
    pub status: InvocationStatus,
    /// Status reason.
    #[napi(js_name = "status_reason")]
    pub status_reason: Option<String>,
    /// Version label for the application.
    pub version: String,
}

/// A core invocation on its way to JS: the typed fields, then the fields this version does
/// not know, so that nothing the server sent is dropped.
pub struct InvocationToJs(pub CoreInvocation);

impl ToNapiValue for InvocationToJs {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        let core = value.0;
        let typed = Invocation {
            id: core.id,
            app_name: core.app_name,
            action_name: core.action_name,
            payload: core.payload,
            output: core.output,
            started_at: core.started_at,
            finished_at: core.finished_at.map(|finished| match finished {
                Some(time) => Either::A(time),
                None => Either::B(Null),
            }),
            status: match core.status {
                kernel_core::InvocationStatus::Queued => InvocationStatus::Queued,
                kernel_core::InvocationStatus::Running => InvocationStatus::Running,
                kernel_core::InvocationStatus::Succeeded => InvocationStatus::Succeeded,
                kernel_core::InvocationStatus::Failed => InvocationStatus::Failed,
            },
            status_reason: core.status_reason,
            version: core.version,
        };
        let raw = Invocation::to_napi_value(env, typed)?;
        if !core.extra.is_empty() {
            crate::json::define_fields(env, raw, &core.extra)?;
        }
        Ok(raw)
    }
}

/// A page of invocations, with what the server said about the next page.
pub struct PageToJs(pub kernel_core::Page<CoreInvocation>);

impl ToNapiValue for PageToJs {
    unsafe fn to_napi_value(env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        let page = value.0;
        let next_page_offset = match page.next_page_offset() {
            Some(offset) => f64::to_napi_value(env, offset as f64)?,
            None => Null::to_napi_value(env, Null)?,
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
            ],
        )
    }
}
