//! `GET /invocations/{id}/events`: the invocation now and on every change, heartbeats while it
//! runs, and the end of the stream once it is terminal.

use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event, Sse};
use futures_util::stream::{self, Stream};
use kernel_core::InvocationStatus;

use crate::invocation::Invocation;
use serde_json::json;
use tokio::sync::watch;
use tokio::time::{interval_at, Instant, Interval};

use crate::time_format;

enum Phase {
    First,
    Live,
    Done,
}

struct Follow {
    changes: watch::Receiver<Invocation>,
    heartbeat: Interval,
    phase: Phase,
}

fn state_event(invocation: &Invocation) -> Event {
    let data = json!({
        "event": "invocation_state",
        "invocation": invocation,
        "timestamp": time_format::format(time_format::now()),
    });
    Event::default()
        .event("invocation_state")
        .data(data.to_string())
}

fn heartbeat_event() -> Event {
    let data =
        json!({ "event": "sse_heartbeat", "timestamp": time_format::format(time_format::now()) });
    Event::default()
        .event("sse_heartbeat")
        .data(data.to_string())
}

fn is_terminal(invocation: &Invocation) -> bool {
    matches!(
        invocation.status,
        InvocationStatus::Succeeded | InvocationStatus::Failed
    )
}

pub fn invocation_events(
    changes: watch::Receiver<Invocation>,
    every: Duration,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let follow = Follow {
        changes,
        heartbeat: interval_at(Instant::now() + every, every),
        phase: Phase::First,
    };
    Sse::new(stream::unfold(follow, |mut follow| async move {
        let event = match follow.phase {
            Phase::Done => return None,
            Phase::First => {
                let now = follow.changes.borrow_and_update().clone();
                follow.phase = if is_terminal(&now) {
                    Phase::Done
                } else {
                    Phase::Live
                };
                state_event(&now)
            }
            Phase::Live => tokio::select! {
                changed = follow.changes.changed() => {
                    if changed.is_err() {
                        return None;
                    }
                    let now = follow.changes.borrow_and_update().clone();
                    if is_terminal(&now) {
                        follow.phase = Phase::Done;
                    }
                    state_event(&now)
                }
                _ = follow.heartbeat.tick() => heartbeat_event(),
            },
        };
        Some((Ok(event), follow))
    }))
}
