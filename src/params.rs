//! Method parameters as JS passes them (snake_case, as on the wire), converted to core params.
//! The JS layer has checked their JS types; meaning is checked here and in the core.

use kernel_core::{
    Error, InvocationCreateParams as CoreCreate, InvocationFollowParams as CoreFollow,
    InvocationListParams as CoreList, InvocationUpdateParams as CoreUpdate,
};
use napi_derive::napi;

use crate::convert::{whole_number, MAX_SAFE_INTEGER};

/// Body of `client.invocations.update(id, params)`.
#[napi(object, object_to_js = false)]
pub struct InvocationUpdateParams {
    /// New status for the invocation.
    #[napi(ts_type = "InvocationUpdateStatus")]
    pub status: String,
    /// Updated output of the invocation rendered as a JSON string.
    pub output: Option<String>,
}

impl TryFrom<InvocationUpdateParams> for CoreUpdate {
    type Error = Error;

    fn try_from(params: InvocationUpdateParams) -> Result<Self, Error> {
        Ok(CoreUpdate {
            status: params.status.parse()?,
            output: params.output,
        })
    }
}

/// Body of `client.invocations.create(params)`.
#[napi(object, object_to_js = false)]
pub struct InvocationCreateParams {
    /// Name of the action to invoke.
    #[napi(js_name = "action_name")]
    pub action_name: String,
    /// Name of the application.
    #[napi(js_name = "app_name")]
    pub app_name: String,
    /// Version of the application.
    pub version: String,
    /// If true, invoke asynchronously: the API answers with status `queued`.
    #[napi(js_name = "async")]
    pub is_async: Option<bool>,
    /// Timeout in seconds for async invocations (10 to 3600).
    #[napi(js_name = "async_timeout_seconds")]
    pub async_timeout_seconds: Option<f64>,
    /// Input data for the action, sent as a JSON string.
    pub payload: Option<String>,
}

impl TryFrom<InvocationCreateParams> for CoreCreate {
    type Error = Error;

    fn try_from(params: InvocationCreateParams) -> Result<Self, Error> {
        Ok(CoreCreate {
            action_name: params.action_name,
            app_name: params.app_name,
            version: params.version,
            is_async: params.is_async,
            async_timeout_seconds: optional_u32(
                "async_timeout_seconds",
                params.async_timeout_seconds,
            )?,
            payload: params.payload,
        })
    }
}

/// Query of `client.invocations.list(params)`.
#[napi(object, object_to_js = false)]
pub struct InvocationListParams {
    /// Filter results by action name.
    #[napi(js_name = "action_name")]
    pub action_name: Option<String>,
    /// Filter results by application name.
    #[napi(js_name = "app_name")]
    pub app_name: Option<String>,
    /// Filter results by deployment ID.
    #[napi(js_name = "deployment_id")]
    pub deployment_id: Option<String>,
    /// Search invocations by ID, app name, or action name.
    pub query: Option<String>,
    /// Show invocations that have started since the given time (RFC timestamps or durations
    /// like 5m).
    pub since: Option<String>,
    /// Filter results by invocation status.
    #[napi(ts_type = "InvocationStatus")]
    pub status: Option<String>,
    /// Filter results by application version.
    pub version: Option<String>,
    /// Limit the number of items per page.
    pub limit: Option<f64>,
    /// Offset of the first item.
    pub offset: Option<f64>,
}

impl TryFrom<InvocationListParams> for CoreList {
    type Error = Error;

    fn try_from(params: InvocationListParams) -> Result<Self, Error> {
        Ok(CoreList {
            action_name: params.action_name,
            app_name: params.app_name,
            deployment_id: params.deployment_id,
            query: params.query,
            since: params.since,
            status: params.status.as_deref().map(str::parse).transpose()?,
            version: params.version,
            limit: optional_u32("limit", params.limit)?,
            offset: params
                .offset
                .map(|offset| whole_number("offset", offset, MAX_SAFE_INTEGER))
                .transpose()?
                .map(|offset| offset as u64),
        })
    }
}

/// Query of `client.invocations.follow(id, params)`.
#[napi(object, object_to_js = false)]
pub struct InvocationFollowParams {
    /// Show logs since the given time (RFC timestamps or durations like 5m).
    pub since: Option<String>,
}

impl From<InvocationFollowParams> for CoreFollow {
    fn from(params: InvocationFollowParams) -> Self {
        CoreFollow {
            since: params.since,
        }
    }
}

/// An optional JS number that must be a whole number that fits a `u32`.
fn optional_u32(field: &'static str, value: Option<f64>) -> Result<Option<u32>, Error> {
    value
        .map(|number| whole_number(field, number, u32::MAX.into()).map(|whole| whole as u32))
        .transpose()
}
