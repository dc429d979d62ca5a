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
//!     .await?
//!     .data;
//! println!("{:?} is {:?}", invocation.id, invocation.status);
//! # Ok(())
//! # }
//! ```
//!
//! Answers are decoded to last: a status newer than this version is
//! [`InvocationStatus::Other`], and a documented field the server left out, sent as `null` or
//! as another JSON type is `None`, with what was sent kept in the value's `extra` map (as are
//! fields this version does not know). Only a body that is not JSON, or not an object where
//! one is due, is an [`Error::Decode`].

mod body;
mod client;
mod config;
mod error;
pub mod events;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod headers;
pub mod invocations;
mod lenient;
mod log;
mod page;
mod pool;
mod request;
mod response;
mod retry;
mod sse;
mod stream;
mod transport;
mod trust;
mod url_path;
mod wire;

pub use client::Client;
pub use config::{
    ClientOptions, Environment, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT,
};
pub use error::{api_error_message, ApiError, Error};
pub use events::FollowEvent;
pub use log::{LogLevel, LogRecord, Observer};
pub use page::Page;
pub use pool::ProxySetting;
pub use request::RequestOptions;
pub use response::{Response, Undecoded};
pub use sse::{SseEvent, SseParser};
pub use stream::{EventStream, MAX_EVENT_BYTES};
pub use tokio_util::sync::CancellationToken;
pub use wire::{
    Browser, Invocation, InvocationCreateParams, InvocationCreateResponse, InvocationFollowParams,
    InvocationListBrowsersResponse, InvocationListParams, InvocationStatus, InvocationUpdateParams,
    UpdateStatus,
};

/// Version of this crate, sent in the default `User-Agent`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
