//! Process diagnostics for the soak and memory checks: numbers `process.memoryUsage()` lacks.

use napi_derive::napi;

/// Native bytes in use, or `null` where that is not available: what glibc's allocator (Node's
/// and V8's) has handed out and not had back (`mallinfo2`: arenas plus mmapped blocks), plus
/// what the addon's own allocator (mimalloc, `lib.rs`) holds committed. Unlike RSS it does not
/// count memory glibc keeps for reuse, so a leak shows as growth here and fragmentation barely
/// does.
#[napi(js_name = "__mallocInUse")]
pub fn malloc_in_use() -> Option<f64> {
    Some(in_use_bytes()? + mimalloc_committed())
}

/// Bytes mimalloc has committed: its pages in use, and those it keeps free (its pages are
/// 64 KiB, so this moves in such steps).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn mimalloc_committed() -> f64 {
    use std::ptr::null_mut;
    let mut committed = 0usize;
    // SAFETY: mi_process_info writes only the counters it is given a pointer for and skips
    // the null ones; `committed` outlives the call.
    unsafe {
        libmimalloc_sys::mi_process_info(
            null_mut(),
            null_mut(),
            null_mut(),
            null_mut(),
            null_mut(),
            &mut committed,
            null_mut(),
            null_mut(),
        )
    };
    committed as f64
}

/// `mallinfo2` looked up at run time: glibc has it from 2.33 only, and a diagnostic must not
/// raise the glibc the addon needs to load.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn in_use_bytes() -> Option<f64> {
    // SAFETY: dlsym with RTLD_DEFAULT and a NUL-terminated name only looks a symbol up.
    let symbol = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"mallinfo2".as_ptr()) };
    if symbol.is_null() {
        return None;
    }
    // SAFETY: glibc's `mallinfo2` has exactly this signature, takes no arguments and only
    // reads the allocator's statistics.
    let mallinfo2: extern "C" fn() -> libc::mallinfo2 = unsafe { std::mem::transmute(symbol) };
    let info = mallinfo2();
    Some((info.uordblks + info.hblkhd) as f64)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn in_use_bytes() -> Option<f64> {
    None
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn mimalloc_committed() -> f64 {
    0.0
}
