//! The floor of our design, for the benchmark only (never shipped): the same `PATCH` as
//! kernel-native's `invocations.update`, from Node through napi, with nothing else in the way:
//! no retries, timeouts, serde or error model. What it keeps is the design itself: one
//! current-thread runtime on its own thread, hyper's HTTP/1 connections, and one threadsafe
//! function per JS thread to settle promises. kernel-native's time above this is its features.
//! `new HopClient(url, key, true)` sends through a `reqwest::Client` instead ("reqwest + hop"):
//! the floor for a design that, as ours does, keeps reqwest.

use std::cell::RefCell;
use std::ffi::c_void;
use std::ptr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use napi::bindgen_prelude::Unknown;
use napi::{check_status, sys, Env, Error};
use napi_derive::napi;
use tokio::net::TcpStream;
use tokio::runtime::{Builder, Handle};

type Sender = SendRequest<Full<Bytes>>;

/// The I/O thread, started on first use: every call and connection runs on it, as in
/// kernel-native, so a response never wakes a second worker and the JS thread keeps its core.
/// Timers are on for reqwest's connection pool; the hyper calls set none.
fn runtime() -> napi::Result<&'static Handle> {
    static HANDLE: OnceLock<Option<Handle>> = OnceLock::new();
    let start = || {
        let runtime = Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .ok()?;
        let handle = runtime.handle().clone();
        let thread = std::thread::Builder::new().name("hop-io".into());
        thread
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .ok()?;
        Some(handle)
    };
    let handle = HANDLE.get_or_init(start).as_ref();
    handle.ok_or_else(|| Error::from_reason("kernel-bench-hop could not start its I/O thread"))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn text(error: impl std::fmt::Display) -> String {
    error.to_string()
}

/// Where requests go, and the idle connections to it. Like node's keep-alive agent with
/// `maxSockets: Infinity`: a call takes the newest idle connection or opens one more.
struct Target {
    authority: String, // host:port to connect to
    prefix: String,    // the base URL's path, without its trailing '/'
    host: HeaderValue,
    authorization: HeaderValue,
    idle: Mutex<Vec<Sender>>,
    /// Set for the "reqwest + hop" contender: the same call through reqwest instead of hyper
    /// alone, which measures what reqwest itself costs.
    reqwest: Option<(reqwest::Client, String)>,
}

impl Target {
    async fn checkout(&self) -> Result<Sender, String> {
        loop {
            // A statement of its own, so the lock is released before the await.
            let idle = lock(&self.idle).pop();
            let Some(mut sender) = idle else { break };
            if sender.ready().await.is_ok() {
                return Ok(sender); // closed connections fail here and are dropped
            }
        }
        let stream = TcpStream::connect(&self.authority).await.map_err(text)?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.map_err(text)?;
        tokio::spawn(connection); // drives the socket until either side closes it
        Ok(sender)
    }

    async fn update(&self, id: String, body: String) -> Result<Bytes, String> {
        if let Some((client, base)) = &self.reqwest {
            let response = client
                .patch(format!("{base}/invocations/{id}"))
                .header(AUTHORIZATION, self.authorization.clone())
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .header(ACCEPT, HeaderValue::from_static("application/json"))
                .body(body)
                .send()
                .await
                .map_err(text)?;
            let status = response.status();
            let body = response.bytes().await.map_err(text)?;
            return match status {
                StatusCode::OK => Ok(body),
                _ => Err(format!("status {status}")),
            };
        }
        let mut sender = self.checkout().await?;
        let request = Request::builder()
            .method(Method::PATCH)
            .uri(format!("{}/invocations/{id}", self.prefix))
            .header(HOST, self.host.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(CONTENT_LENGTH, body.len())
            .body(Full::new(Bytes::from(body)))
            .map_err(text)?;
        let response = sender.send_request(request).await.map_err(text)?;
        let status = response.status();
        let body = response.into_body().collect().await.map_err(text)?;
        lock(&self.idle).push(sender); // read whole, so the connection is free for reuse
        match status {
            StatusCode::OK => Ok(body.to_bytes()),
            _ => Err(format!("status {status}")),
        }
    }
}

#[napi]
pub struct HopClient {
    target: Arc<Target>,
}

#[napi]
impl HopClient {
    /// `baseUrl` is a plain `http://host[:port][/path]` URL; with `viaReqwest`, calls go through
    /// a `reqwest::Client` (built as kernel-native builds its own, less TLS) instead.
    #[napi(constructor, catch_unwind)]
    pub fn new(base_url: String, api_key: String, via_reqwest: Option<bool>) -> napi::Result<Self> {
        let invalid = |what: &str| Error::from_reason(format!("kernel-bench-hop: invalid {what}"));
        let rest = base_url
            .strip_prefix("http://")
            .ok_or_else(|| invalid("base URL"))?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let default_port = authority.ends_with(']') || !authority.contains(':');
        let path = path.trim_end_matches('/');
        let target = Target {
            authority: format!("{authority}{}", if default_port { ":80" } else { "" }),
            prefix: if path.is_empty() {
                String::new()
            } else {
                format!("/{path}")
            },
            host: HeaderValue::from_str(authority).map_err(|_| invalid("base URL"))?,
            authorization: HeaderValue::try_from(format!("Bearer {api_key}"))
                .map_err(|_| invalid("API key"))?,
            idle: Mutex::new(Vec::new()),
            reqwest: match via_reqwest {
                Some(true) => Some((
                    // Built in one workspace with kernel-core, reqwest has rustls without a
                    // crypto provider, and refuses to build a client until one is installed.
                    {
                        let _ = rustls::crypto::ring::default_provider().install_default();
                        reqwest::Client::builder()
                            .http1_max_headers(1_100)
                            .retry(reqwest::retry::never().max_retries_per_request(0))
                            .build()
                            .map_err(|err| Error::from_reason(err.to_string()))?
                    },
                    base_url.trim_end_matches('/').to_owned(),
                )),
                _ => None,
            },
        };
        Ok(Self {
            target: Arc::new(target),
        })
    }

    /// `PATCH {baseUrl}/invocations/{id}` with `body` (JSON); resolves with the answer's JSON
    /// text, rejects unless the status is 200.
    #[napi(catch_unwind, ts_return_type = "Promise<string>")]
    pub fn update<'env>(
        &self,
        env: &'env Env,
        id: String,
        body: String,
    ) -> napi::Result<Unknown<'env>> {
        let runtime = runtime()?;
        let env = env.raw();
        let channel = channel(env)?;
        let (mut deferred, mut promise) = (ptr::null_mut(), ptr::null_mut());
        check_status!(unsafe { sys::napi_create_promise(env, &mut deferred, &mut promise) })?;
        count_pending(env, 1);
        let mut reply = Reply { channel, deferred };
        let target = self.target.clone();
        runtime.spawn(async move { reply.send(Some(target.update(id, body).await)) });
        Ok(unsafe { Unknown::from_raw_unchecked(env, promise) })
    }
}

/// A call's way back to its JS thread. If it is dropped unsent, a task that panicked (or never
/// ran), it sends a rejection: every promise settles, so none keeps the process alive.
struct Reply {
    channel: Arc<Channel>,
    deferred: sys::napi_deferred, // null once sent
}

// The deferred is only used on the JS thread that created it, in `settle`.
unsafe impl Send for Reply {}

impl Reply {
    fn send(&mut self, result: Option<Result<Bytes, String>>) {
        let deferred = std::mem::replace(&mut self.deferred, ptr::null_mut());
        if deferred.is_null() {
            return;
        }
        let done: *mut Done = Box::into_raw(Box::new((deferred, result)));
        let tsfn = lock(&self.channel.0);
        let call = |tsfn: &Tsfn| unsafe {
            let mode = sys::ThreadsafeFunctionCallMode::nonblocking; // the queue is unbounded
            sys::napi_call_threadsafe_function(tsfn.0, done.cast(), mode) == sys::Status::napi_ok
        };
        if !tsfn.as_ref().is_some_and(call) {
            drop(unsafe { Box::from_raw(done) }); // the JS thread is gone: nobody is waiting
        }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        self.send(None);
    }
}

/// A finished call: `None` if its task did not finish.
type Done = (sys::napi_deferred, Option<Result<Bytes, String>>);

/// The single threadsafe function of one JS thread; `None` once its environment is torn down.
struct Channel(Mutex<Option<Tsfn>>);
struct Tsfn(sys::napi_threadsafe_function);
// A threadsafe function is made to be called from any thread.
unsafe impl Send for Tsfn {}

/// The JS thread's own state: its channel and how many of its calls are pending.
struct Local {
    channel: Arc<Channel>,
    tsfn: sys::napi_threadsafe_function,
    pending: usize,
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

/// The JS thread's channel, created by its first call.
fn channel(env: sys::napi_env) -> napi::Result<Arc<Channel>> {
    if let Some(channel) = LOCAL.with_borrow(|local| local.as_ref().map(|l| l.channel.clone())) {
        return Ok(channel);
    }
    let (label, mut name, mut tsfn) = ("kernel-bench-hop", ptr::null_mut(), ptr::null_mut());
    check_status!(unsafe {
        sys::napi_create_string_utf8(env, label.as_ptr().cast(), label.len() as isize, &mut name)
    })?;
    // No JS function, finalizer or context: `settle` does all the work.
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
            Some(settle),
            &mut tsfn,
        )
    })?;
    // Unreferenced until a call is pending (`count_pending`), so an idle script can exit.
    check_status!(unsafe { sys::napi_unref_threadsafe_function(env, tsfn) })?;
    let channel = Arc::new(Channel(Mutex::new(Some(Tsfn(tsfn)))));
    // Runs before Node finalizes the function (hooks run newest first): after it, replies are dropped.
    let hook_data = Arc::into_raw(channel.clone()) as *mut c_void;
    check_status!(unsafe { sys::napi_add_env_cleanup_hook(env, Some(teardown), hook_data) })?;
    let local = Local {
        channel: channel.clone(),
        tsfn,
        pending: 0,
    };
    LOCAL.with_borrow_mut(|slot| *slot = Some(local));
    Ok(channel)
}

unsafe extern "C" fn teardown(data: *mut c_void) {
    let channel = Arc::from_raw(data as *const Channel);
    if let Some(tsfn) = lock(&channel.0).take() {
        sys::napi_release_threadsafe_function(tsfn.0, sys::ThreadsafeFunctionReleaseMode::abort);
    }
    LOCAL.with_borrow_mut(|slot| *slot = None);
}

/// Keeps the threadsafe function referenced exactly while this JS thread has calls pending.
fn count_pending(env: sys::napi_env, delta: isize) {
    LOCAL.with_borrow_mut(|local| {
        let Some(local) = local else { return };
        let before = local.pending;
        local.pending = before.saturating_add_signed(delta);
        unsafe {
            if before == 0 && local.pending > 0 {
                sys::napi_ref_threadsafe_function(env, local.tsfn);
            } else if before > 0 && local.pending == 0 {
                sys::napi_unref_threadsafe_function(env, local.tsfn);
            }
        }
    });
}

/// Runs on the JS thread for each finished call (`env` is null if the function is closing).
unsafe extern "C" fn settle(
    env: sys::napi_env,
    _: sys::napi_value,
    _: *mut c_void,
    data: *mut c_void,
) {
    let (deferred, result) = *Box::from_raw(data.cast::<Done>());
    if env.is_null() {
        return;
    }
    count_pending(env, -1);
    let string = |text: &[u8]| {
        let (data, length, mut value) =
            (text.as_ptr().cast(), text.len() as isize, ptr::null_mut());
        let status = sys::napi_create_string_utf8(env, data, length, &mut value);
        (status == sys::Status::napi_ok).then_some(value)
    };
    let error = |message: &str| {
        let mut value = ptr::null_mut();
        if let Some(message) = string(message.as_bytes()) {
            sys::napi_create_error(env, ptr::null_mut(), message, &mut value);
        }
        value
    };
    let answer = match result {
        Some(Ok(body)) => {
            string(&body).ok_or_else(|| error("the answer is too long for a JS string"))
        }
        Some(Err(message)) => Err(error(&format!("kernel-bench-hop: {message}"))),
        None => Err(error("kernel-bench-hop: the call's task panicked")),
    };
    match answer {
        Ok(value) => sys::napi_resolve_deferred(env, deferred, value),
        Err(value) => sys::napi_reject_deferred(env, deferred, value),
    };
}
