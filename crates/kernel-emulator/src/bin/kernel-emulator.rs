//! `kernel-emulator`: the Kernel API emulator as a standalone server.

use clap::Parser;
use kernel_emulator::{Emulator, EmulatorConfig};

/// A local emulator of the Kernel API invocations endpoints.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on; 0 picks a free port.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Bearer token clients must send (default: a random key, printed at start).
    #[arg(long, env = "KERNEL_EMULATOR_API_KEY")]
    api_key: Option<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let emulator = Emulator::start(EmulatorConfig {
        host: args.host,
        port: args.port,
        api_key: args.api_key,
        ..EmulatorConfig::default()
    })
    .await?;
    println!("kernel-emulator listening on {}", emulator.url());
    println!("api key: {}", emulator.api_key());
    wait_for_signal().await?;
    emulator.close().await;
    println!("kernel-emulator stopped");
    Ok(())
}

async fn wait_for_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = terminate.recv() => Ok(()),
    }
}
