//! The floor for our design: the same update calls through `kernel-core` alone, no Node.js.
//! `rust-floor <url> sequential <calls>` prints `{"p50_us":..,"p99_us":..}`;
//! `rust-floor <url> throughput <in_flight> <millis>` prints `{"calls_per_s":..}`.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kernel_core::{Client, ClientOptions, InvocationUpdateParams, RequestOptions, UpdateStatus};

fn params() -> InvocationUpdateParams {
    InvocationUpdateParams {
        status: UpdateStatus::Succeeded,
        output: Some("{\"ok\":true}".into()),
    }
}

async fn update(client: &Client, options: &RequestOptions, params: &InvocationUpdateParams) {
    let result = client
        .invocations()
        .update("rr33xuugxj9h0bkf1rdt2bet", params, options)
        .await;
    if let Err(error) = result {
        eprintln!("update failed: {error}");
        std::process::exit(1);
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = || -> ! {
        eprintln!("usage: rust-floor <url> sequential <calls> | throughput <in_flight> <millis>");
        std::process::exit(2)
    };
    let (Some(url), Some(mode)) = (args.get(1), args.get(2)) else {
        usage()
    };
    let number = |index: usize| -> u64 {
        args.get(index)
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| usage())
    };
    let client = Client::new(ClientOptions {
        api_key: Some("bench-key".into()),
        base_url: Some(url.clone()),
        ..ClientOptions::default()
    })
    .unwrap_or_else(|error| {
        eprintln!("{error}");
        std::process::exit(1)
    });
    let options = RequestOptions::default();
    let params = params();
    match mode.as_str() {
        "sequential" => {
            let calls = number(3) as usize;
            for _ in 0..calls / 4 {
                update(&client, &options, &params).await;
            }
            let mut samples = Vec::with_capacity(calls);
            for _ in 0..calls {
                let started = Instant::now();
                update(&client, &options, &params).await;
                samples.push(started.elapsed().as_nanos() as u64);
            }
            samples.sort_unstable();
            println!(
                "{{\"p50_us\":{:.2},\"p99_us\":{:.2}}}",
                percentile(&samples, 0.50) as f64 / 1000.0,
                percentile(&samples, 0.99) as f64 / 1000.0
            );
        }
        "throughput" => {
            let in_flight = number(3) as usize;
            let duration = Duration::from_millis(number(4));
            let done = Arc::new(AtomicU64::new(0));
            let counting = Arc::new(AtomicBool::new(false));
            let stop = Arc::new(AtomicBool::new(false));
            let workers: Vec<_> = (0..in_flight)
                .map(|_| {
                    let (client, done, counting, stop) =
                        (client.clone(), done.clone(), counting.clone(), stop.clone());
                    let params = params.clone();
                    tokio::spawn(async move {
                        let options = RequestOptions::default();
                        while !stop.load(Ordering::Relaxed) {
                            update(&client, &options, &params).await;
                            if counting.load(Ordering::Relaxed) {
                                done.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    })
                })
                .collect();
            // A short warm-up fills the pool before counting starts.
            tokio::time::sleep(duration / 5).await;
            counting.store(true, Ordering::Relaxed);
            let started = Instant::now();
            tokio::time::sleep(duration).await;
            let calls = done.load(Ordering::Relaxed);
            let elapsed = started.elapsed();
            stop.store(true, Ordering::Relaxed);
            for worker in workers {
                let _ = worker.await;
            }
            println!(
                "{{\"calls_per_s\":{:.1}}}",
                calls as f64 / elapsed.as_secs_f64()
            );
        }
        _ => usage(),
    }
}
