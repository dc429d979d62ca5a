//! The native client class: one method per API call, each converting and delegating.

use std::future::Future;

use kernel_core::{Client, Error, Response, Undecoded};
use napi::bindgen_prelude::{Either, ToNapiValue, Unknown};
use napi::Env;
use napi_derive::napi;

use crate::cancel::CancelToken;
use crate::completion::spawn_settled;
use crate::convert::{client_options, request_options, NativeClientOptions, NativeRequestOptions};
use crate::failure::NativeFailure;
use crate::invocation::PageToJs;
use crate::json::Json;
use crate::logs::LogSink;
use crate::params::{
    InvocationCreateParams, InvocationFollowParams, InvocationListParams, InvocationUpdateParams,
};
use crate::response::{settle, settle_json};
use crate::stream::NativeEventStream;

/// The native half of `Kernel`. Its promises resolve to `[data, NativeResponse]` (for
/// invocation answers, `[text, head]`: see `JsonText`) or a `NativeFailure`; they reject only
/// if the binding itself fails.
#[napi]
pub struct NativeClient {
    inner: Client,
}

/// A promise of `Outcome<Success<T>>` (typed per method with `ts_return_type`).
type Call<'env> = napi::Result<Unknown<'env>>;

/// Runs `call` on the runtime with the converted request options, and settles it with the
/// data converted by `convert` on the way out.
fn spawn<'env, D, T, Fut>(
    env: &'env Env,
    client: &Client,
    options: Option<NativeRequestOptions>,
    cancel: Option<&CancelToken>,
    call: impl FnOnce(Client, kernel_core::RequestOptions) -> Fut + Send + 'static,
    convert: impl FnOnce(D) -> Result<T, String> + Send + 'static,
) -> Call<'env>
where
    D: Send + 'static,
    T: ToNapiValue + Send + 'static,
    Fut: Future<Output = Result<Response<D>, Error>> + Send + 'static,
{
    run(env, client, options, cancel, call, move |result, logs| {
        settle::<D, T>(result, logs, convert)
    })
}

/// Runs `call` on the runtime, and settles it with the answer's JSON text for JS to parse
/// (`JsonText`).
fn spawn_json<'env, Fut>(
    env: &'env Env,
    client: &Client,
    options: Option<NativeRequestOptions>,
    cancel: Option<&CancelToken>,
    call: impl FnOnce(Client, kernel_core::RequestOptions) -> Fut + Send + 'static,
) -> Call<'env>
where
    Fut: Future<Output = Result<Response<Undecoded>, Error>> + Send + 'static,
{
    run(env, client, options, cancel, call, settle_json)
}

/// Runs `call` on the runtime with the converted request options, and turns its result into
/// what JS receives with `finish`, on the way out.
fn run<'env, D, O, Fut>(
    env: &'env Env,
    client: &Client,
    options: Option<NativeRequestOptions>,
    cancel: Option<&CancelToken>,
    call: impl FnOnce(Client, kernel_core::RequestOptions) -> Fut + Send + 'static,
    finish: impl FnOnce(Result<Response<D>, Error>, &LogSink) -> O + Send + 'static,
) -> Call<'env>
where
    O: ToNapiValue + Send + 'static,
    Fut: Future<Output = Result<Response<D>, Error>> + Send + 'static,
{
    let (options, logs) = request_options(options, cancel.map(|token| token.token.clone()));
    let client = client.clone();
    // The call's state machine is kilobytes (retries, timeouts, reqwest's request): boxed once
    // here, it is not copied again on its way into the runtime's task.
    spawn_settled(env, async move {
        let result = match options {
            Ok(options) => Box::pin(call(client, options)).await,
            Err(error) => Err(error),
        };
        finish(result, &logs)
    })
}

/// A wire type as a JS value, through its serde shape.
fn to_json<T: serde::Serialize>(value: T) -> Result<Json, String> {
    serde_json::to_value(value)
        .map(Json)
        .map_err(|err| err.to_string())
}

/// Builds a native client, or says why not with a `NativeFailure` (its `code` names the core's
/// variant), as every call does: a constructor could only throw text.
#[napi(catch_unwind)]
pub fn create_native_client(options: NativeClientOptions) -> Either<NativeClient, NativeFailure> {
    match client_options(options).and_then(Client::new) {
        Ok(inner) => Either::A(NativeClient { inner }),
        Err(error) => Either::B(error.into()),
    }
}

/// The core's defaults, for `Kernel.DEFAULT_TIMEOUT` and the client's fields: JS keeps no copy.
#[napi(object, object_from_js = false)]
pub struct ClientDefaults {
    pub timeout_ms: u32,
    pub max_retries: u32,
}

#[napi]
pub fn client_defaults() -> ClientDefaults {
    ClientDefaults {
        timeout_ms: u32::try_from(kernel_core::DEFAULT_TIMEOUT.as_millis()).unwrap_or(u32::MAX),
        max_retries: kernel_core::DEFAULT_MAX_RETRIES,
    }
}

#[napi]
impl NativeClient {
    /// The base URL requests go to, as the core resolved it (the environment's by default).
    #[napi(getter)]
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// `POST /invocations`.
    #[napi(
        catch_unwind,
        ts_return_type = "Promise<[text: string, head: string, logs?: LogEntry[]] | NativeFailure>"
    )]
    pub fn create_invocation<'env>(
        &self,
        env: &'env Env,
        params: InvocationCreateParams,
        options: Option<NativeRequestOptions>,
        cancel: Option<&CancelToken>,
    ) -> Call<'env> {
        spawn_json(
            env,
            &self.inner,
            options,
            cancel,
            move |client, options| async move {
                let params = params.try_into()?;
                client
                    .invocations()
                    .create_undecoded(&params, &options)
                    .await
            },
        )
    }

    /// `GET /invocations/{id}`: resolves with the invocation's JSON text.
    #[napi(
        catch_unwind,
        ts_return_type = "Promise<[text: string, head: string, logs?: LogEntry[]] | NativeFailure>"
    )]
    pub fn retrieve_invocation<'env>(
        &self,
        env: &'env Env,
        id: String,
        options: Option<NativeRequestOptions>,
        cancel: Option<&CancelToken>,
    ) -> Call<'env> {
        spawn_json(
            env,
            &self.inner,
            options,
            cancel,
            move |client, options| async move {
                client.invocations().retrieve_undecoded(&id, &options).await
            },
        )
    }

    /// `PATCH /invocations/{id}`: resolves with the invocation's JSON text.
    #[napi(
        catch_unwind,
        ts_return_type = "Promise<[text: string, head: string, logs?: LogEntry[]] | NativeFailure>"
    )]
    pub fn update_invocation<'env>(
        &self,
        env: &'env Env,
        id: String,
        params: InvocationUpdateParams,
        options: Option<NativeRequestOptions>,
        cancel: Option<&CancelToken>,
    ) -> Call<'env> {
        spawn_json(
            env,
            &self.inner,
            options,
            cancel,
            move |client, options| async move {
                let params = params.try_into()?;
                client
                    .invocations()
                    .update_undecoded(&id, &params, &options)
                    .await
            },
        )
    }

    /// `GET /invocations`: one page.
    #[napi(
        catch_unwind,
        ts_return_type = "Promise<[{ items: Invocation[]; has_more: boolean | null; next_offset: number | null; next_page_offset: number | null; next_page_error: NativeFailure | null }, NativeResponse] | NativeFailure>"
    )]
    pub fn list_invocations<'env>(
        &self,
        env: &'env Env,
        params: InvocationListParams,
        options: Option<NativeRequestOptions>,
        cancel: Option<&CancelToken>,
    ) -> Call<'env> {
        spawn(
            env,
            &self.inner,
            options,
            cancel,
            move |client, options| async move {
                let params = params.try_into()?;
                client.invocations().list(&params, &options).await
            },
            |page| Ok(PageToJs(page)),
        )
    }

    /// `GET /invocations/{id}/events`: resolves once the stream is open.
    #[napi(
        catch_unwind,
        ts_return_type = "Promise<[NativeEventStream, NativeResponse] | NativeFailure>"
    )]
    pub fn follow_invocation<'env>(
        &self,
        env: &'env Env,
        id: String,
        params: InvocationFollowParams,
        options: Option<NativeRequestOptions>,
        cancel: Option<&CancelToken>,
    ) -> Call<'env> {
        spawn(
            env,
            &self.inner,
            options,
            cancel,
            move |client, options| async move {
                client
                    .invocations()
                    .follow(&id, &params.into(), &options)
                    .await
            },
            |stream| Ok(NativeEventStream::new(stream)),
        )
    }

    /// `GET /invocations/{id}/browsers`.
    #[napi(
        catch_unwind,
        ts_return_type = "Promise<[InvocationListBrowsersResponse, NativeResponse] | NativeFailure>"
    )]
    pub fn list_invocation_browsers<'env>(
        &self,
        env: &'env Env,
        id: String,
        options: Option<NativeRequestOptions>,
        cancel: Option<&CancelToken>,
    ) -> Call<'env> {
        spawn(
            env,
            &self.inner,
            options,
            cancel,
            move |client, options| async move {
                client.invocations().list_browsers(&id, &options).await
            },
            to_json,
        )
    }

    /// `DELETE /invocations/{id}/browsers`.
    #[napi(
        catch_unwind,
        ts_return_type = "Promise<[undefined, NativeResponse] | NativeFailure>"
    )]
    pub fn delete_invocation_browsers<'env>(
        &self,
        env: &'env Env,
        id: String,
        options: Option<NativeRequestOptions>,
        cancel: Option<&CancelToken>,
    ) -> Call<'env> {
        spawn(
            env,
            &self.inner,
            options,
            cancel,
            move |client, options| async move {
                client.invocations().delete_browsers(&id, &options).await
            },
            |()| Ok(()),
        )
    }
}

/// Panics on purpose, so tests can prove a Rust panic reaches JS as an error, not a crash.
/// The asynchronous panic happens on the runtime, inside `spawn_settled` as in every call.
#[napi(
    js_name = "__panicForTests",
    catch_unwind,
    ts_return_type = "Promise<number>"
)]
pub fn panic_for_tests(asynchronous: bool, env: &Env) -> napi::Result<Unknown<'_>> {
    if !asynchronous {
        panic!("deliberate panic (sync) for tests");
    }
    spawn_settled(env, async { deliberate_panic() })
}

fn deliberate_panic() -> u32 {
    panic!("deliberate panic (async) for tests")
}

/// Resolves at once from the runtime: measures the cost of one JS -> runtime -> JS round trip.
#[napi(
    js_name = "__roundTripForBench",
    catch_unwind,
    ts_return_type = "Promise<number>"
)]
pub fn round_trip_for_bench(env: &Env) -> napi::Result<Unknown<'_>> {
    spawn_settled(env, async { 0u32 })
}
