//! Process diagnostics for the soak and memory checks: numbers `process.memoryUsage()` lacks.

use napi_derive::napi;

/// Bytes the C allocator has handed out and not had back (`mallinfo2`: arenas plus mmapped
/// blocks), or `null` where that is not available. Unlike RSS it does not count memory the
/// allocator keeps for reuse, so a leak shows as growth here and fragmentation does not.
#[napi(js_name = "__mallocInUse")]
pub fn malloc_in_use() -> Option<f64> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallinfo2 only reads the allocator's statistics; it takes no arguments and
        // has no preconditions.
        let info = unsafe { libc::mallinfo2() };
        Some((info.uordblks + info.hblkhd) as f64)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        None
    }
}
