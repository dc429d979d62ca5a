//! The emulator, started in-process on the runtime the calls run on (`runtime.rs`). Numbers
//! cross as JS numbers (`f64`) and go to the emulator crate unchecked: its `limits` module is
//! the one home of their ranges and messages (the JS layer checks only JS types).

use std::collections::HashMap;
use std::sync::Mutex;

use kernel_emulator::{
    Emulator, EmulatorConfig, EmulatorOptions as CoreOptions, FaultOptions as CoreFaultOptions,
    FaultSpec as CoreFaultSpec,
};
use napi::bindgen_prelude::{Either, Unknown};
use napi::Env;
use napi_derive::napi;

use crate::completion::spawn_settled;
use crate::failure::NativeFailure;

/// An option or fault outside the emulator's limits (`limits.rs`), as for a call's bad input.
const INVALID_INPUT: &str = "ERR_KERNEL_INVALID_INPUT";
/// The emulator could not listen on its address.
const LISTEN: &str = "ERR_KERNEL_EMULATOR_LISTEN";
/// The emulator was closed before this use.
const CLOSED: &str = "ERR_KERNEL_EMULATOR_CLOSED";

/// Options of `startEmulator()`.
#[napi(object, object_to_js = false)]
pub struct EmulatorOptions {
    /// The bearer token it accepts; default: a random `emu_…` key.
    #[napi(js_name = "apiKey")]
    pub api_key: Option<String>,
    /// Port to listen on; 0 (the default) picks a free one.
    pub port: Option<f64>,
    /// Address to listen on; default `127.0.0.1`.
    pub host: Option<String>,
    /// Interval of `sse_heartbeat` events in milliseconds; default 5000.
    #[napi(js_name = "heartbeatMs")]
    pub heartbeat_ms: Option<f64>,
}

/// A scripted misbehaviour: the next `times` requests matching `method` and `path` get
/// `status` (with `headers` and `body`), wait `delayMs`, or have their connection dropped.
#[napi(object, object_to_js = false)]
pub struct FaultSpec {
    /// Only requests with this method match (any case).
    pub method: Option<String>,
    /// Only requests whose path starts with this match, e.g. `/invocations/`.
    pub path: Option<String>,
    /// Answer with this status instead of the normal answer.
    pub status: Option<f64>,
    /// Headers of the faulted answer, e.g. `{ 'retry-after-ms': '10' }`.
    pub headers: Option<HashMap<String, String>>,
    /// Body of the faulted answer; default `{ code: 'injected_fault', message }`.
    #[napi(ts_type = "unknown")]
    pub body: Option<serde_json::Value>,
    /// Wait this long first; without `status` or `drop` the request then proceeds normally.
    #[napi(js_name = "delayMs")]
    pub delay_ms: Option<f64>,
    /// Close the connection without answering; the request is not applied.
    pub drop: Option<bool>,
    /// Apply the request, then close the connection without answering: the answer is lost.
    #[napi(js_name = "dropAfter")]
    pub drop_after: Option<bool>,
    /// How many matching requests it applies to; default 1, or unlimited with `rate`.
    pub times: Option<f64>,
    /// Fire for this fraction (above 0, at most 1) of matching requests, chosen at random.
    pub rate: Option<f64>,
}

/// One mutation the emulator applied (see `NativeEmulator.journal`).
#[napi(object, object_from_js = false)]
pub struct JournalEntry {
    /// 1, 2, 3, ... in the order the mutations were applied.
    pub seq: i64,
    pub method: String,
    pub path: String,
    #[napi(js_name = "idempotencyKey")]
    pub idempotency_key: Option<String>,
    /// The status of the answer.
    pub status: u32,
    /// `id` of the invocation the answer carried.
    #[napi(js_name = "invocationId")]
    pub invocation_id: Option<String>,
    /// `status` of the invocation the answer carried.
    #[napi(js_name = "invocationStatus")]
    pub invocation_status: Option<String>,
}

/// A running emulator.
#[napi]
pub struct NativeEmulator {
    running: Mutex<Option<Emulator>>,
    url: String,
    api_key: String,
}

/// Starts an emulator; resolves with a `NativeFailure` (never rejects) when an option is out of
/// its limits or it cannot listen.
#[napi(
    catch_unwind,
    ts_return_type = "Promise<NativeEmulator | NativeFailure>"
)]
pub fn start_emulator(env: &Env, options: Option<EmulatorOptions>) -> napi::Result<Unknown<'_>> {
    let config = match options {
        None => Ok(EmulatorConfig::default()),
        Some(options) => EmulatorConfig::try_from(CoreOptions {
            api_key: options.api_key,
            port: options.port,
            host: options.host,
            heartbeat_ms: options.heartbeat_ms,
        })
        .map_err(|err| {
            NativeFailure::kernel_error(INVALID_INPUT, Some(err.0.name), err.to_string())
        }),
    };
    spawn_settled(env, async move {
        let started = match config {
            Ok(config) => Emulator::start(config).await.map_err(|err| {
                let message = format!("The emulator could not listen: {err}");
                NativeFailure::kernel_error(LISTEN, None, message)
            }),
            Err(failure) => Err(failure),
        };
        match started {
            Ok(emulator) => Either::A(NativeEmulator {
                url: emulator.url(),
                api_key: emulator.api_key().to_owned(),
                running: Mutex::new(Some(emulator)),
            }),
            Err(failure) => Either::B(failure),
        }
    })
}

#[napi]
impl NativeEmulator {
    /// `http://127.0.0.1:<port>`.
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The bearer token it accepts.
    #[napi(getter)]
    pub fn api_key(&self) -> String {
        self.api_key.clone()
    }

    /// Makes the next matching requests misbehave; answers a `NativeFailure` when the spec is
    /// invalid or the emulator is closed.
    #[napi(catch_unwind)]
    pub fn fault(&self, spec: FaultSpec) -> Option<NativeFailure> {
        self.add_fault(spec).err()
    }

    fn add_fault(&self, spec: FaultSpec) -> Result<(), NativeFailure> {
        let core = CoreFaultSpec::try_from(CoreFaultOptions {
            method: spec.method,
            path: spec.path,
            status: spec.status,
            headers: spec.headers,
            body: spec.body,
            delay_ms: spec.delay_ms,
            drop: spec.drop,
            drop_after: spec.drop_after,
            times: spec.times,
            rate: spec.rate,
        })
        .map_err(invalid_fault)?;
        let running = self.running.lock().map_err(|_| closed())?;
        let emulator = running.as_ref().ok_or_else(closed)?;
        emulator.fault(core).map_err(invalid_fault)
    }

    /// Every mutation (POST, PATCH, DELETE) applied so far, oldest first; a request replayed
    /// for a repeated `Idempotency-Key` is not applied again and not listed again.
    #[napi(catch_unwind)]
    pub fn journal(&self) -> Either<Vec<JournalEntry>, NativeFailure> {
        let running = match self.running.lock() {
            Ok(running) => running,
            Err(_) => return Either::B(closed()),
        };
        let Some(emulator) = running.as_ref() else {
            return Either::B(closed());
        };
        Either::A(
            emulator
                .journal()
                .into_iter()
                .map(|entry| JournalEntry {
                    seq: i64::try_from(entry.seq).unwrap_or(i64::MAX),
                    method: entry.method,
                    path: entry.path,
                    idempotency_key: entry.idempotency_key,
                    status: u32::from(entry.status),
                    invocation_id: entry.invocation_id,
                    invocation_status: entry.invocation_status,
                })
                .collect(),
        )
    }

    /// How many faults fired so far.
    #[napi(getter, catch_unwind)]
    pub fn faults_fired(&self) -> Either<i64, NativeFailure> {
        let running = match self.running.lock() {
            Ok(running) => running,
            Err(_) => return Either::B(closed()),
        };
        match running.as_ref() {
            Some(emulator) => Either::A(i64::try_from(emulator.faults_fired()).unwrap_or(i64::MAX)),
            None => Either::B(closed()),
        }
    }

    /// Stops listening and ends every open connection; the port is free when it resolves.
    #[napi(catch_unwind, ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        // A lock poisoned by a panic elsewhere still holds the emulator: close it all the same.
        let emulator = self
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        spawn_settled(env, async move {
            if let Some(emulator) = emulator {
                emulator.close().await;
            }
        })
    }
}

fn closed() -> NativeFailure {
    NativeFailure::kernel_error(CLOSED, None, "The emulator is closed".to_owned())
}

fn invalid_fault(err: impl std::fmt::Display) -> NativeFailure {
    NativeFailure::kernel_error(INVALID_INPUT, Some("fault"), err.to_string())
}
