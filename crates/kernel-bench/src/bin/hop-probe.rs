//! Experiment behind the runtime choice: sequential updates spawned from a plain thread (as the
//! JS thread does) onto a runtime, the answer sent back over a std channel; Node left out.
//! `hop-probe <url> current` uses a current-thread runtime on its own thread, as the addon does;
//! `hop-probe <url>` a two-worker multi-thread runtime, as napi-rs's default is.
use std::time::Instant;

use kernel_core::{Client, ClientOptions, InvocationUpdateParams, RequestOptions, UpdateStatus};

fn main() {
    let url = std::env::args().nth(1).unwrap_or_default();
    let current = std::env::args().nth(2).as_deref() == Some("current");
    let runtime = if current {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    }
    .unwrap_or_else(|_| std::process::exit(1));
    let handle = runtime.handle().clone();
    // Keep the runtime alive (and, for current-thread, driven) for the whole run.
    std::thread::spawn(move || runtime.block_on(std::future::pending::<()>()));
    let _guard = handle.enter();
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
        handle.spawn(async move {
            let result = client
                .invocations()
                .update(
                    "rr33xuugxj9h0bkf1rdt2bet",
                    &params,
                    &RequestOptions::default(),
                )
                .await;
            let _ = tx.send(result.is_ok());
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
