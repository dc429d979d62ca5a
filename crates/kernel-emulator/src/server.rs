//! Listening, serving connections, applying faults before routing, and shutting down.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinSet;
use tower::ServiceExt;

use crate::faults::{FaultDelay, FaultError, FaultSpec, Faults};
use crate::idempotency::{Idempotency, JournalEntry};
use crate::limits::{self, LimitError};
use crate::routes::{fault_response, router, AppState};
use crate::store::Store;

/// How to start an emulator.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Address to listen on; default `127.0.0.1`.
    pub host: String,
    /// Port; 0 picks a free one.
    pub port: u16,
    /// The bearer token clients must send; default: a random `emu_…` key.
    pub api_key: Option<String>,
    /// Interval of `sse_heartbeat` events on event streams.
    pub heartbeat: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            host: "127.0.0.1".into(),
            port: 0,
            api_key: None,
            heartbeat: Duration::from_secs(5),
        }
    }
}

/// The options of `startEmulator` as JS gives them: numbers as JS numbers (`f64`), not yet
/// checked. [`EmulatorConfig::try_from`] checks each against its limit in [`crate::limits`], so
/// `port: 2 ** 32` is refused, not wrapped to 0. `None` takes the default.
#[derive(Clone, Default)]
pub struct EmulatorOptions {
    /// The bearer token clients must send; must not be blank.
    pub api_key: Option<String>,
    pub port: Option<f64>,
    pub host: Option<String>,
    /// Interval of `sse_heartbeat` events in milliseconds.
    pub heartbeat_ms: Option<f64>,
}

/// An [`EmulatorOptions`] value outside its limit: `Invalid port: expected an integer from 0 to
/// 65535, got 70000`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Invalid {0}")]
pub struct OptionError(pub LimitError);

impl TryFrom<EmulatorOptions> for EmulatorConfig {
    type Error = OptionError;

    fn try_from(options: EmulatorOptions) -> Result<Self, OptionError> {
        let mut config = EmulatorConfig {
            api_key: limits::check_api_key(options.api_key).map_err(OptionError)?,
            ..EmulatorConfig::default()
        };
        if let Some(port) = options.port {
            // At most 65535 once within the range.
            config.port = limits::PORT.check(port).map_err(OptionError)? as u16;
        }
        if let Some(host) = options.host {
            config.host = host;
        }
        if let Some(ms) = options.heartbeat_ms {
            let ms = limits::HEARTBEAT_MS.check(ms).map_err(OptionError)?;
            config.heartbeat = Duration::from_millis(ms);
        }
        Ok(config)
    }
}

/// A running emulator. Dropping it stops it as [`Emulator::close`] does, without waiting for
/// the connections to end.
pub struct Emulator {
    address: SocketAddr,
    state: Arc<AppState>,
    stop: Option<oneshot::Sender<()>>,
    serving: tokio::task::JoinHandle<()>,
}

/// Returned by the service to make hyper close the connection without an answer.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by an injected fault")]
struct DropConnection;

impl Emulator {
    /// Binds the listener and starts serving on the current tokio runtime.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Emulator> {
        if config.heartbeat.is_zero() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the heartbeat interval must be greater than zero",
            ));
        }
        let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
        let address = listener.local_addr()?;
        let api_key = config
            .api_key
            .filter(|key| !key.is_empty())
            .unwrap_or_else(|| {
                let suffix: String = (0..24).map(|_| fastrand::alphanumeric()).collect();
                format!("emu_{suffix}")
            });
        let state = Arc::new(AppState {
            store: Store::default(),
            faults: Faults::default(),
            idempotency: Arc::new(Idempotency::default()),
            requests: Default::default(),
            api_key,
            heartbeat: config.heartbeat,
        });
        let (stop, stopped) = oneshot::channel();
        let serving = tokio::spawn(serve(listener, state.clone(), stopped));
        Ok(Emulator {
            address,
            state,
            stop: Some(stop),
            serving,
        })
    }

    /// `http://<host>:<port>`, ready for a client's `baseURL`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The bearer token it accepts.
    pub fn api_key(&self) -> &str {
        &self.state.api_key
    }

    /// The invocations, for checks from Rust.
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// Every mutation applied so far, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.state.idempotency.journal()
    }

    /// How many faults fired so far.
    pub fn faults_fired(&self) -> u64 {
        self.state.faults.fired()
    }

    /// Makes the next matching requests misbehave as `spec` says.
    pub fn fault(&self, spec: FaultSpec) -> Result<(), FaultError> {
        self.state.faults.add(spec)
    }

    /// Stops listening, ends every open connection (streams included) and frees the port.
    pub async fn close(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.serving).await;
    }
}

async fn serve(listener: TcpListener, state: Arc<AppState>, mut stopped: oneshot::Receiver<()>) {
    let app = router(state.clone());
    let mut connections = JoinSet::new();
    loop {
        let (stream, _) = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait a little instead of spinning.
                Err(_) => { tokio::time::sleep(Duration::from_millis(10)).await; continue; }
            },
            // Reap finished connections so the set does not grow without bound.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let _ = stream.set_nodelay(true);
        let (app, state) = (app.clone(), state.clone());
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                handle(app.clone(), state.clone(), request)
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
    drop(listener);
    connections.shutdown().await;
}

async fn handle(
    app: axum::Router,
    state: Arc<AppState>,
    mut request: Request<Incoming>,
) -> Result<Response, DropConnection> {
    let path = request.uri().path();
    let mut lose_answer = false;
    if !path.starts_with("/_emulator/") {
        state
            .requests
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Some(fault) = state.faults.take(request.method().as_str(), path) {
            let delay = Duration::from_millis(fault.delay_ms.unwrap_or(0));
            let answers_itself = fault.drop == Some(true) || fault.status.is_some();
            if answers_itself {
                tokio::time::sleep(delay).await;
            } else if !delay.is_zero() {
                // A request that proceeds waits inside the API, after its idempotency key was
                // claimed: a slow request is then "in flight" as a real slow handler would be.
                request.extensions_mut().insert(FaultDelay(delay));
            }
            if fault.drop == Some(true) {
                return Err(DropConnection);
            }
            lose_answer = fault.drop_after == Some(true);
            if let Some(status) = fault.status {
                let mut response = fault_response(&fault, status);
                if !response.headers().contains_key("x-request-id") {
                    response.headers_mut().insert("x-request-id", request_id());
                }
                return Ok(response);
            }
        }
    }
    let mut response = app
        .oneshot(request.map(Body::new))
        .await
        .unwrap_or_else(|never| match never {});
    if lose_answer {
        // The request was applied in full (the handler buffered its answer); only the answer
        // is lost, as when a network fails after the server committed.
        return Err(DropConnection);
    }
    response.headers_mut().insert("x-request-id", request_id());
    Ok(response)
}

/// Every answer carries an `x-request-id`, as the API's do.
fn request_id() -> axum::http::HeaderValue {
    let suffix: String = (0..20).map(|_| fastrand::alphanumeric()).collect();
    axum::http::HeaderValue::try_from(format!("req_{suffix}"))
        .unwrap_or_else(|_| axum::http::HeaderValue::from_static("req_unknown"))
}
