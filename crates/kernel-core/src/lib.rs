//! Rust client core for the [Kernel API](https://api.onkernel.com).
//!
//! This crate has no Node.js dependency: the `kernel-native` npm package wraps it with napi-rs,
//! and Rust programs can use it directly.
//!
//! ```no_run
//! # async fn run() -> Result<(), kernel_core::Error> {
//! use kernel_core::{Client, ClientOptions, InvocationUpdateParams, RequestOptions, UpdateStatus};
//!
//! let client = Client::new(ClientOptions::from_env())?;
//! let params = InvocationUpdateParams { status: UpdateStatus::Succeeded, output: None };
//! let invocation = client
//!     .invocations()
//!     .update("id", &params, &RequestOptions::default())
//!     .await?;
//! println!("{}", invocation.id);
//! # Ok(())
//! # }
//! ```

mod client;
mod config;
mod error;
mod http;
pub mod invocations;
mod retry;
mod url_path;

pub use client::Client;
pub use config::{ClientOptions, Environment, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT};
pub use error::{ApiError, Error};
pub use http::RequestOptions;
pub use invocations::{Invocation, InvocationStatus, InvocationUpdateParams, UpdateStatus};
pub use tokio_util::sync::CancellationToken;

/// Version of this crate, sent in the default `User-Agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
