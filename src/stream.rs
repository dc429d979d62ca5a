//! The native side of `client.invocations.follow()`: one event (or raw chunk) per `next()`,
//! so the socket is read only as fast as JS consumes.

use std::sync::Arc;

use kernel_core::{CancellationToken, Error, EventStream};
use napi::bindgen_prelude::{Buffer, Unknown};
use napi::Env;
use napi_derive::napi;
use tokio::sync::Mutex;

use crate::completion::spawn_settled;
use crate::json::Json;
use crate::outcome::Outcome;

/// An open event stream. `close()` (or garbage collection) closes its connection.
#[napi]
pub struct NativeEventStream {
    stream: Arc<Mutex<EventStream>>,
    closed: CancellationToken,
}

impl NativeEventStream {
    pub fn new(stream: EventStream) -> Self {
        NativeEventStream {
            stream: Arc::new(Mutex::new(stream)),
            closed: CancellationToken::new(),
        }
    }
}

#[napi]
impl NativeEventStream {
    /// The next event, `null` at the end of the stream, or a failure.
    #[napi(
        catch_unwind,
        ts_return_type = "Promise<LogEvent | InvocationStateEvent | ErrorEvent | HeartbeatEvent | null | NativeFailure>"
    )]
    pub fn next<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        let (stream, closed) = (self.stream.clone(), self.closed.clone());
        spawn_settled(env, async move {
            let result = read(&stream, &closed, |stream| Box::pin(stream.next_event())).await;
            let result = result.and_then(|event| {
                event
                    .map(|event| {
                        serde_json::to_value(event).map(Json).map_err(|err| {
                            Error::Stream(format!("could not convert an event: {err}"))
                        })
                    })
                    .transpose()
            });
            Outcome::from(result)
        })
    }

    /// The next bytes exactly as received, `null` at the end, or a failure.
    #[napi(
        catch_unwind,
        ts_return_type = "Promise<Buffer | null | NativeFailure>"
    )]
    pub fn next_raw<'env>(&self, env: &'env Env) -> napi::Result<Unknown<'env>> {
        let (stream, closed) = (self.stream.clone(), self.closed.clone());
        spawn_settled(env, async move {
            let result = read(&stream, &closed, |stream| Box::pin(stream.next_chunk())).await;
            Outcome::from(result.map(|chunk| chunk.map(|bytes| Buffer::from(bytes.to_vec()))))
        })
    }

    /// Closes the connection at once; a pending `next()` resolves with an abort failure.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        self.closed.cancel();
        if let Ok(mut stream) = self.stream.try_lock() {
            stream.close();
            return;
        }
        // A read holds the stream. It sees the cancellation and closes when it ends (see
        // `read`), but it may have checked just before: closing once the lock is free, on the
        // I/O thread, leaves no window in which the connection outlives `close()`.
        let stream = self.stream.clone();
        if let Ok(runtime) = crate::runtime::handle() {
            runtime.spawn(async move { stream.lock().await.close() });
        }
    }
}

type Read<'a, T> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, Error>> + Send + 'a>>;

/// One read, unless the stream is closed first; closing drops the connection.
async fn read<T>(
    stream: &Mutex<EventStream>,
    closed: &CancellationToken,
    op: impl for<'a> FnOnce(&'a mut EventStream) -> Read<'a, T>,
) -> Result<T, Error> {
    let mut guard = stream.lock().await;
    if closed.is_cancelled() {
        guard.close();
        return Err(Error::Aborted);
    }
    let result = closed.run_until_cancelled(op(&mut guard)).await;
    // A `close()` that came while this read finished with an event still closes the
    // connection: the next read would only see the cancellation.
    if closed.is_cancelled() {
        guard.close();
    }
    result.unwrap_or(Err(Error::Aborted))
}
