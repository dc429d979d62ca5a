//! The native client class: one method per API call, each converting and delegating.

use kernel_core::{Client, InvocationUpdateParams as CoreUpdateParams};
use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;

use crate::cancel::CancelToken;
use crate::convert::{client_options, request_options, NativeClientOptions, NativeRequestOptions};
use crate::invocation::{InvocationToJs, InvocationUpdateParams};
use crate::outcome::Outcome;

/// The native half of `Kernel`. Its promises resolve to a value or a `NativeFailure`; they
/// reject only if the binding itself fails.
#[napi]
pub struct NativeClient {
    inner: Client,
}

#[napi]
impl NativeClient {
    /// Throws an `Error` whose message says what is wrong with the options.
    #[napi(constructor, catch_unwind)]
    pub fn new(options: NativeClientOptions) -> napi::Result<Self> {
        let inner = client_options(options)
            .and_then(Client::new)
            .map_err(|error| napi::Error::from_reason(error.to_string()))?;
        Ok(NativeClient { inner })
    }

    /// `PATCH /invocations/{id}`.
    #[napi(catch_unwind, ts_return_type = "Promise<Invocation | NativeFailure>")]
    pub fn update_invocation<'env>(
        &self,
        env: &'env Env,
        id: String,
        params: InvocationUpdateParams,
        options: Option<NativeRequestOptions>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Outcome<InvocationToJs>>> {
        let client = self.inner.clone();
        let cancel = cancel.map(|token| token.token.clone());
        env.spawn_future(async move {
            let result = async {
                let params = CoreUpdateParams {
                    status: params.status.parse()?,
                    output: params.output,
                };
                let options = request_options(options, cancel)?;
                client.invocations().update(&id, &params, &options).await
            };
            Ok(Outcome::from(result.await.map(InvocationToJs)))
        })
    }
}

/// Panics on purpose, so tests can prove a Rust panic reaches JS as an error, not a crash.
#[napi(js_name = "__panicForTests", catch_unwind)]
pub fn panic_for_tests(asynchronous: bool, env: &Env) -> napi::Result<PromiseRaw<'_, u32>> {
    if !asynchronous {
        panic!("deliberate panic (sync) for tests");
    }
    env.spawn_future(async { panic!("deliberate panic (async) for tests") })
}
