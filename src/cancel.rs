//! A cancellation handle the JS layer trips from an `AbortSignal` listener.

use kernel_core::CancellationToken;
use napi_derive::napi;

/// Cancels the calls it was passed to. The JS layer makes one per call that has a signal.
#[napi]
pub struct CancelToken {
    pub(crate) token: CancellationToken,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        CancelToken {
            token: CancellationToken::new(),
        }
    }

    /// Ends every call holding this token with `APIUserAbortError` and drops its connection.
    #[napi]
    pub fn cancel(&self) {
        self.token.cancel();
    }
}
