//! napi-rs binding for `kernel-core`: it converts JS values into core calls and core results
//! back into JS values. HTTP, retries and validation of meaning live in the core crate; the JS
//! layer in `lib/` turns [`failure::NativeFailure`] values into the public error classes.
#![deny(clippy::unwrap_used, clippy::expect_used)]
// napi registers exports only outside `cfg(test)`, so under test they look unused.
#![cfg_attr(test, allow(dead_code))]

mod cancel;
mod client;
mod completion;
mod convert;
mod diagnostics;
mod emulator;
mod failure;
mod headers;
mod invocation;
mod json;
mod logs;
mod outcome;
mod params;
mod response;
mod runtime;
mod stream;
mod types;

/// mimalloc on Linux, as napi-rs addons such as SWC, Rspack and Rolldown use: the I/O thread
/// allocates what the JS thread frees, and glibc's arenas made every such free take a lock (at
/// 64 calls in flight, a quarter of the I/O thread's time went to malloc and free); musl's
/// allocator is slower still. It raised throughput by a third and cost 0.13 MiB of `.node`.
/// macOS and Windows keep their system allocators, which were not measured here.
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
