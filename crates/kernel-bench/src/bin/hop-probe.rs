//! Experiment: sequential updates spawned from a plain thread onto a multi-thread runtime, the
//! answer sent back over a std channel (like the addon, minus Node).
use std::time::Instant;

use kernel_core::{Client, ClientOptions, InvocationUpdateParams, RequestOptions, UpdateStatus};

fn main() {
    let url = std::env::args().nth(1).unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|_| std::process::exit(1));
    let _guard = runtime.enter();
    let client = Client::new(ClientOptions {
        api_key: Some("k".into()),
        base_url: Some(url),
        ..ClientOptions::default()
    })
    .unwrap_or_else(|_| std::process::exit(1));
    let params = InvocationUpdateParams {
        status: UpdateStatus::Succeeded,
        output: Some("{\"ok\":true}".into()),
    };
    let mut samples = Vec::new();
    for i in 0..6000 {
        let (tx, rx) = std::sync::mpsc::channel();
        let (client, params) = (client.clone(), params.clone());
        let started = Instant::now();
        runtime.spawn(async move {
            let r = client
                .invocations()
                .update(
                    "rr33xuugxj9h0bkf1rdt2bet",
                    &params,
                    &RequestOptions::default(),
                )
                .await;
            let _ = tx.send(r.is_ok());
        });
        let _ = rx.recv();
        if i >= 2000 {
            samples.push(started.elapsed().as_micros() as u64);
        }
    }
    samples.sort_unstable();
    println!(
        "spawn+channel p50 {} us p99 {} us",
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100]
    );
}
