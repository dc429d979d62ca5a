//! Where calls run: a current-thread tokio runtime on one dedicated thread.
//!
//! Measured against napi-rs's multi-thread runtime on the benchmark server: sequential p50
//! about 160 -> 135 us, and 256 calls in flight about 37 000 -> 42 000 calls/s. One thread
//! runs every call and every connection, so a response never wakes a second worker to steal
//! work, and the JS thread keeps the other core. If the thread cannot be started, calls fall
//! back to napi-rs's runtime.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle};

fn dedicated() -> Option<&'static Handle> {
    static HANDLE: OnceLock<Option<Handle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let runtime = Builder::new_current_thread().enable_all().build().ok()?;
            let handle = runtime.handle().clone();
            std::thread::Builder::new()
                .name("kernel-native-io".into())
                .spawn(move || runtime.block_on(std::future::pending::<()>()))
                .ok()?;
            Some(handle)
        })
        .as_ref()
}

/// Runs `future` to completion on the calls' runtime.
pub fn spawn<F: Future<Output = ()> + Send + 'static>(future: F) {
    match dedicated() {
        Some(handle) => drop(handle.spawn(future)),
        None => drop(napi::bindgen_prelude::spawn(future)),
    }
}
