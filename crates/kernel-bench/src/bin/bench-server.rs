//! The benchmark's server: answers every request with the same invocation, as cheaply as
//! hyper allows (one thread, no routing, no state), so the clients' costs dominate.
//! Prints `listening http://127.0.0.1:<port>` and serves until killed.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use kernel_bench::INVOCATION;
use tokio::net::TcpListener;

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the body whole, as a real server would, then answer.
    let _ = request.into_body().collect().await;
    let response = Response::builder()
        .header("content-type", "application/json")
        .header("x-request-id", "req_bench")
        .body(Full::new(Bytes::from_static(INVOCATION.as_bytes())))
        .unwrap_or_default();
    Ok(response)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(0);
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(answer);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
