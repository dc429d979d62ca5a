//! Where calls run: a current-thread tokio runtime on one dedicated thread.
//!
//! Measured against napi-rs's multi-thread runtime on the benchmark server: sequential p50
//! about 160 -> 135 us, and 256 calls in flight about 37 000 -> 42 000 calls/s. One thread
//! runs every call, every connection and the in-process emulator, so a response never wakes a
//! second worker to steal work, and the JS thread keeps the other core. napi-rs's own runtime
//! is not built at all (its `async` feature is off): it started two worker threads as the
//! addon loaded, for a fallback that never ran.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle};

/// The runtime's handle, starting its thread on first use. Fails only if the thread cannot
/// be started (the process is out of threads or memory); every call then fails the same way.
pub fn handle() -> napi::Result<&'static Handle> {
    static HANDLE: OnceLock<Option<Handle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            return_freed_memory_sooner();
            let runtime = Builder::new_current_thread().enable_all().build().ok()?;
            let handle = runtime.handle().clone();
            handle.spawn(keep_timer_wheel_awake());
            std::thread::Builder::new()
                .name("kernel-native-io".into())
                .spawn(move || runtime.block_on(std::future::pending::<()>()))
                .ok()?;
            Some(handle)
        })
        .as_ref()
        .ok_or_else(|| napi::Error::from_reason("kernel-native could not start its I/O thread"))
}

/// Ticks once a second, for ever. tokio wakes its driver (an eventfd write, then a second trip
/// through epoll) whenever a timer is set to fire before the driver's next planned wake-up.
/// Every call sets one, its timeout; and with nothing earlier planned than the connection
/// pool's 90-second idle check, every call's 60-second timeout was earlier. With this tick
/// planned, a timeout over a second away never is.
async fn keep_timer_wheel_awake() {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
    }
}

/// mimalloc 3 keeps pages freed for a second before handing them back to the system (its
/// `purge_delay`, 10 ms in mimalloc 2); right after 256 calls in flight that held about
/// 10 MiB of RSS more than glibc's allocator did. 10 ms gives most of it back at no cost we
/// could measure. A default only: `MIMALLOC_PURGE_DELAY` still decides.
fn return_freed_memory_sooner() {
    #[cfg(target_os = "linux")]
    {
        /// `mi_option_purge_delay` in mimalloc 3's `mimalloc.h` (the Rust bindings name only
        /// some options).
        const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
        // SAFETY: sets one of mimalloc's option values; any thread may, at any time.
        unsafe { libmimalloc_sys::mi_option_set_default(PURGE_DELAY, 10) };
    }
}
