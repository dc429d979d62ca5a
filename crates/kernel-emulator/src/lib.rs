//! A local, stateful emulator of the Kernel API's invocations endpoints, for offline demos,
//! application tests, benchmarks and fault tests. Run it as the `kernel-emulator` binary, from
//! JS (`kernel-native/emulator`), or from Rust:
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let emulator = kernel_emulator::Emulator::start(kernel_emulator::EmulatorConfig::default()).await?;
//! println!("{} {}", emulator.url(), emulator.api_key());
//! emulator.close().await;
//! # Ok(())
//! # }
//! ```

mod faults;
mod idempotency;
mod routes;
mod server;
mod sse;
mod store;
mod time_format;

pub use faults::{FaultError, FaultSpec};
pub use idempotency::JournalEntry;
pub use server::{Emulator, EmulatorConfig};
pub use store::{CreateRequest, ListFilter, Store, UpdateError};

/// Bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
