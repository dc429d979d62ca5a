//! The `kernel-emulator` binary (built with the `cli` feature): serving, the key from the
//! environment, signals, a taken port.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use reqwest::Method;
use tokio::io::{AsyncBufReadExt, BufReader};

struct Running {
    child: tokio::process::Child,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    url: String,
    key: String,
}

async fn spawn_binary(args: &[&str], envs: &[(&str, &str)]) -> Running {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_kernel-emulator"));
    command
        .args(args)
        .env_remove("KERNEL_EMULATOR_API_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    for (name, value) in envs {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("the binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = within("the listening line", lines.next_line())
        .await
        .unwrap()
        .expect("a first line");
    let url = first
        .strip_prefix("kernel-emulator listening on ")
        .unwrap_or_else(|| panic!("first line {first:?}"))
        .to_owned();
    let second = within("the key line", lines.next_line())
        .await
        .unwrap()
        .expect("a second line");
    let key = second
        .strip_prefix("api key: ")
        .unwrap_or_else(|| panic!("second line {second:?}"))
        .to_owned();
    Running {
        child,
        lines,
        url,
        key,
    }
}

impl Running {
    /// Sends the signal and asserts a prompt, successful exit that printed "stopped".
    async fn stop_with(mut self, signal: &str) {
        let pid = self.child.id().expect("still running").to_string();
        let sent = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let began = Instant::now();
        let status = tokio::time::timeout(Duration::from_secs(5), self.child.wait())
            .await
            .expect("the binary exits promptly after the signal")
            .unwrap();
        assert!(status.success(), "exit status {status:?}");
        assert!(began.elapsed() < Duration::from_secs(3));
        let mut rest = Vec::new();
        while let Some(line) = within("remaining output", self.lines.next_line())
            .await
            .unwrap()
        {
            rest.push(line);
        }
        assert!(
            rest.iter().any(|line| line.contains("stopped")),
            "printed after the signal: {rest:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_serves_and_stops_on_sigterm_even_with_an_open_stream() {
    let running = spawn_binary(&["--port", "0", "--api-key", "k"], &[]).await;
    assert_eq!(running.key, "k");
    assert!(
        running.url.starts_with("http://127.0.0.1:"),
        "{}",
        running.url
    );
    let api = Api::at(&running.url, &running.key);
    let id = api.create("app", "act", "1", false).await;
    assert_eq!(api.invocation(&id).await["status"], "running");
    let wrong = api
        .send_as(Some("Bearer nope"), Method::GET, "/invocations", None)
        .await
        .unwrap();
    wrong.assert_error(401, "unauthorized");

    // An open event stream does not hold the shutdown up.
    let address: std::net::SocketAddr = running.url["http://".len()..].parse().unwrap();
    let mut stream = RawStream::open(
        address,
        format!(
            "GET /invocations/{id}/events HTTP/1.1\r\nHost: e\r\nAuthorization: Bearer k\r\n\r\n"
        )
        .as_bytes(),
    )
    .await;
    assert_eq!(stream.status, 200);
    assert!(stream.next_event().await.is_some());

    running.stop_with("TERM").await;
    within("the stream ends", stream.read_to_eof()).await;
    assert!(tokio::net::TcpStream::connect(address).await.is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_stops_on_sigint() {
    let running = spawn_binary(&["--port", "0", "--api-key", "k"], &[]).await;
    let api = Api::at(&running.url, "k");
    assert_eq!(api.get("/invocations").await.status, 200);
    running.stop_with("INT").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_honours_host_and_takes_the_key_from_the_environment() {
    let running = spawn_binary(
        &["--host", "127.0.0.2", "--port", "0"],
        &[("KERNEL_EMULATOR_API_KEY", "from-env")],
    )
    .await;
    assert!(
        running.url.starts_with("http://127.0.0.2:"),
        "{}",
        running.url
    );
    assert_eq!(running.key, "from-env");
    let api = Api::at(&running.url, &running.key);
    assert_eq!(api.get("/invocations").await.status, 200);
    // It listens on that host only.
    let port = running.url.rsplit(':').next().unwrap();
    assert!(tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .is_err());
    running.stop_with("TERM").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_makes_a_random_key_when_given_none() {
    let running = spawn_binary(&["--port", "0"], &[]).await;
    assert!(running.key.starts_with("emu_"), "{}", running.key);
    let api = Api::at(&running.url, &running.key);
    assert_eq!(api.get("/invocations").await.status, 200);
    running.stop_with("TERM").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_binary_fails_on_a_taken_port() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_kernel-emulator"))
        .args(["--port", &port, "--api-key", "k"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = within("the binary exits", output).await.unwrap();
    assert!(!output.status.success());
    assert!(!String::from_utf8_lossy(&output.stdout).contains("listening"));
}
