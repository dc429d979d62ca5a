//! Settling promises from the runtime's threads.
//!
//! napi-rs's own `spawn_future` creates a threadsafe function (a libuv async handle and an env
//! cleanup hook) for every promise and tears it down again: most of the per-call cost of a
//! small request. Here each JS thread (main or worker) has one threadsafe function for all its
//! calls, so completions that arrive together are settled in one wake-up of the event loop.
//! It is referenced only while calls are pending: a script exits as soon as its last call is
//! done, and never while one is in flight.

use std::cell::RefCell;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::ptr;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use napi::bindgen_prelude::{ToNapiValue, Unknown};
use napi::{check_status, sys, Env};

/// Builds the JS value of a completed call, on the JS thread.
type Settle = Box<dyn FnOnce(sys::napi_env) -> napi::Result<sys::napi_value> + Send>;

/// A completed call on its way to the JS thread.
struct Job {
    deferred: sys::napi_deferred,
    settle: Result<Settle, String>,
}

// The deferred is only touched on the JS thread that created it, in `settle_on_js_thread`.
unsafe impl Send for Job {}

/// The threadsafe function of one JS thread; `None` once its environment is torn down, after
/// which completions are dropped instead of sent.
struct Channel {
    tsfn: Mutex<Option<Tsfn>>,
}

struct Tsfn(sys::napi_threadsafe_function);

// A threadsafe function is made to be called from any thread.
unsafe impl Send for Tsfn {}

impl Channel {
    fn send(&self, job: Job) {
        let guard = match self.tsfn.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let Some(tsfn) = guard.as_ref() else {
            return; // the environment is gone: nobody is waiting
        };
        let data = Box::into_raw(Box::new(job));
        let status = unsafe {
            sys::napi_call_threadsafe_function(
                tsfn.0,
                data.cast(),
                sys::ThreadsafeFunctionCallMode::nonblocking,
            )
        };
        if status != sys::Status::napi_ok {
            // Not queued (the function is closing): take the job back and drop it.
            drop(unsafe { Box::from_raw(data) });
        }
    }
}

/// The JS thread's side: its channel and how many calls are pending.
struct Local {
    channel: Arc<Channel>,
    tsfn: sys::napi_threadsafe_function,
    pending: usize,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

/// Runs `future` on the runtime and returns a promise settled with its output, converted to JS
/// on the JS thread. A panic in the future rejects the promise instead of crashing.
pub fn spawn_settled<'env, T, F>(env: &'env Env, future: F) -> napi::Result<Unknown<'env>>
where
    T: ToNapiValue + Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    let runtime = crate::runtime::handle()?;
    let raw_env = env.raw();
    let channel = channel_for(raw_env)?;
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    check_status!(unsafe { sys::napi_create_promise(raw_env, &mut deferred, &mut promise) })?;
    call_started(raw_env)?;
    let deferred = SendPtr(deferred);
    drop(runtime.spawn(async move {
        let deferred = deferred;
        let settle = match AssertUnwindSafe(future).catch_unwind().await {
            Ok(value) => Ok(Box::new(move |env| unsafe { T::to_napi_value(env, value) }) as Settle),
            Err(panic) => Err(panic_message(panic)),
        };
        channel.send(Job {
            deferred: deferred.0,
            settle,
        });
    }));
    Ok(unsafe { Unknown::from_raw_unchecked(raw_env, promise) })
}

struct SendPtr(sys::napi_deferred);

// Carried to the runtime and back untouched.
unsafe impl Send for SendPtr {}

fn panic_message(panic: Box<dyn std::any::Any + Send>) -> String {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    format!("panic in kernel-native: {detail}")
}

/// The JS thread's channel, created on first use.
fn channel_for(env: sys::napi_env) -> napi::Result<Arc<Channel>> {
    if let Some(channel) = LOCAL.with_borrow(|local| local.as_ref().map(|l| l.channel.clone())) {
        return Ok(channel);
    }
    let mut name = ptr::null_mut();
    let label = "kernel-native completions";
    check_status!(unsafe {
        sys::napi_create_string_utf8(env, label.as_ptr().cast(), label.len() as isize, &mut name)
    })?;
    let mut tsfn = ptr::null_mut();
    check_status!(unsafe {
        sys::napi_create_threadsafe_function(
            env,
            ptr::null_mut(),
            ptr::null_mut(),
            name,
            0,
            1,
            ptr::null_mut(),
            None,
            ptr::null_mut(),
            Some(settle_on_js_thread),
            &mut tsfn,
        )
    })?;
    // Unreferenced until a call is pending.
    check_status!(unsafe { sys::napi_unref_threadsafe_function(env, tsfn) })?;
    let channel = Arc::new(Channel {
        tsfn: Mutex::new(Some(Tsfn(tsfn))),
    });
    // Registered after the threadsafe function, so it runs before Node finalizes it.
    let hook_data = Arc::into_raw(channel.clone()) as *mut std::ffi::c_void;
    check_status!(unsafe { sys::napi_add_env_cleanup_hook(env, Some(env_teardown), hook_data) })?;
    LOCAL.with_borrow_mut(|local| {
        *local = Some(Local {
            channel: channel.clone(),
            tsfn,
            pending: 0,
        })
    });
    Ok(channel)
}

/// The environment is going away: stop sending, and release the threadsafe function.
unsafe extern "C" fn env_teardown(data: *mut std::ffi::c_void) {
    let channel = Arc::from_raw(data as *const Channel);
    let taken = match channel.tsfn.lock() {
        Ok(mut guard) => guard.take(),
        Err(poisoned) => poisoned.into_inner().take(),
    };
    if let Some(tsfn) = taken {
        sys::napi_release_threadsafe_function(tsfn.0, sys::ThreadsafeFunctionReleaseMode::abort);
    }
    LOCAL.with_borrow_mut(|local| *local = None);
}

fn call_started(env: sys::napi_env) -> napi::Result<()> {
    let first = LOCAL.with_borrow_mut(|local| {
        local.as_mut().map(|local| {
            local.pending += 1;
            (local.pending == 1).then_some(local.tsfn)
        })
    });
    if let Some(Some(tsfn)) = first {
        check_status!(unsafe { sys::napi_ref_threadsafe_function(env, tsfn) })?;
    }
    Ok(())
}

fn call_finished(env: sys::napi_env) {
    let last = LOCAL.with_borrow_mut(|local| {
        local.as_mut().and_then(|local| {
            local.pending = local.pending.saturating_sub(1);
            (local.pending == 0).then_some(local.tsfn)
        })
    });
    if let Some(tsfn) = last {
        unsafe { sys::napi_unref_threadsafe_function(env, tsfn) };
    }
}

/// Runs on the JS thread for each completed call.
unsafe extern "C" fn settle_on_js_thread(
    env: sys::napi_env,
    _callback: sys::napi_value,
    _context: *mut std::ffi::c_void,
    data: *mut std::ffi::c_void,
) {
    let job = Box::from_raw(data.cast::<Job>());
    if env.is_null() {
        return; // the function is being finalized: the promise can no longer be settled
    }
    call_finished(env);
    let outcome = match job.settle {
        Ok(settle) => settle(env),
        Err(message) => Err(napi::Error::from_reason(message)),
    };
    match outcome {
        Ok(value) => {
            sys::napi_resolve_deferred(env, job.deferred, value);
        }
        Err(error) => {
            let value = napi::JsError::from(error).into_value(env);
            sys::napi_reject_deferred(env, job.deferred, value);
        }
    }
}
