//! Process diagnostics for the soak and memory checks: numbers `process.memoryUsage()` lacks.

use napi_derive::napi;

/// Bytes the C allocator has handed out and not had back (`mallinfo2`: arenas plus mmapped
/// blocks), or `null` where that is not available. Unlike RSS it does not count memory the
/// allocator keeps for reuse, so a leak shows as growth here and fragmentation does not.
#[napi(js_name = "__mallocInUse")]
pub fn malloc_in_use() -> Option<f64> {
    in_use_bytes()
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
