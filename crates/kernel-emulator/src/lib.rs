//! A local, stateful emulator of the Kernel API's invocations endpoints, for offline demos,
//! application tests, benchmarks and fault tests. Run it as the `kernel-emulator` binary (the
//! `cli` feature: `cargo run -p kernel-emulator --features cli`), from JS
//! (`kernel-native/emulator`), or from Rust:
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
mod invocation;
pub mod limits;
mod routes;
mod server;
mod sse;
mod store;
mod time_format;

pub use faults::{FaultError, FaultOptions, FaultSpec};
pub use idempotency::JournalEntry;
pub use limits::MAX_BODY_BYTES;
pub use server::{Emulator, EmulatorConfig, EmulatorOptions, OptionError};
pub use store::{CreateRequest, ListFilter, Store, UpdateError};
