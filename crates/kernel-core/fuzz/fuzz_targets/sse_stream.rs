//! The event stream of `follow`: bytes fed to `kernel_core::SseParser` in chunks as they
//! arrive, each event then decoded with `kernel_core::FollowEvent::decode`.
//!
//! Input: the raw stream bytes (`event: ...`, `data: ...`, comments, any line endings).
//!
//! Properties:
//! - Chunking does not matter: the same bytes fed in one chunk, one byte at a time, one byte
//!   at a time with an empty chunk after each, and in random chunks (sizes and empty chunks
//!   drawn from a PRNG seeded by the input) give the same events, and fail (bad UTF-8,
//!   oversize event) in all cases or in none. Checked with the real limit (`MAX_EVENT_BYTES`)
//!   and with a small one drawn from the input, so the size limit is reached too.
//! - `finish` dispatches nothing; event names and ids hold no line break, ids no NUL.
//! - An event that decodes, written back as JSON, decodes to the same event, under the type
//!   its data named.

#![no_main]

use kernel_core::{FollowEvent, SseEvent, SseParser, MAX_EVENT_BYTES};
use kernel_core_fuzz::{fnv1a, json_eq, Rng};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// What a parser made of a stream: the events it dispatched, and whether it failed.
#[derive(Debug, PartialEq)]
struct Outcome {
    events: Vec<SseEvent>,
    failed: bool,
}

fn parse<'a>(chunks: impl IntoIterator<Item = &'a [u8]>, limit: usize) -> Outcome {
    let mut parser = SseParser::new(limit);
    let mut events = Vec::new();
    let mut failed = false;
    for chunk in chunks {
        failed = parser.feed(chunk).is_err();
        while let Some(event) = parser.next_event() {
            events.push(event);
        }
        if failed {
            return Outcome { events, failed };
        }
    }
    parser.finish();
    assert_eq!(parser.next_event(), None, "finish dispatched an event");
    Outcome { events, failed }
}

/// One byte at a time, with an empty chunk after each byte.
fn bytes_and_empties(data: &[u8]) -> Vec<&[u8]> {
    let mut chunks = Vec::new();
    for byte in data.chunks(1) {
        chunks.push(byte);
        chunks.push(&[]);
    }
    chunks
}

/// Random cuts of `data`, with an empty chunk now and then.
fn random_chunks<'a>(data: &'a [u8], rng: &mut Rng) -> Vec<&'a [u8]> {
    let mut chunks: Vec<&[u8]> = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let r = rng.next_u64();
        let size = match r % 8 {
            0 => 0,
            1..=3 => 1 + (r >> 8) as usize % 4,
            _ => 1 + (r >> 8) as usize % 64,
        }
        .min(rest.len());
        let (chunk, tail) = rest.split_at(size);
        chunks.push(chunk);
        rest = tail;
    }
    if rng.next_u64().is_multiple_of(4) {
        chunks.push(&[]);
    }
    chunks
}

fuzz_target!(|data: &[u8]| {
    let seed = fnv1a(data);
    let mut rng = Rng::new(seed);
    let small_limit = 1 + (rng.next_u64() % (data.len() as u64 + 16)) as usize;
    for limit in [MAX_EVENT_BYTES, small_limit] {
        let whole = parse([data], limit);
        let bytewise = parse(data.chunks(1), limit);
        assert_eq!(
            whole, bytewise,
            "limit {limit}: one chunk and one byte at a time differ"
        );
        let with_empties = parse(bytes_and_empties(data), limit);
        assert_eq!(
            whole, with_empties,
            "limit {limit}: one chunk and one byte at a time with empty chunks between differ"
        );
        let chunks = random_chunks(data, &mut rng);
        let chunked = parse(chunks.iter().copied(), limit);
        assert_eq!(
            whole, chunked,
            "limit {limit}: one chunk and the chunks {chunks:?} differ"
        );
        if limit == MAX_EVENT_BYTES {
            whole.events.iter().for_each(check_event);
        }
    }
});

fn check_event(raw: &SseEvent) {
    let Ok(Some(event)) = FollowEvent::decode(raw) else {
        return;
    };
    let data: Value = serde_json::from_str(&raw.data).expect("a decoded event's data is JSON");
    let written = serde_json::to_value(&event).expect("a decoded event serializes");
    assert_eq!(
        written.get("event"),
        data.get("event"),
        "the event type changed: {data} -> {written}"
    );
    let again = SseEvent {
        data: written.to_string(),
    };
    let decoded = FollowEvent::decode(&again)
        .unwrap_or_else(|err| panic!("re-decoding {written} failed: {err}"))
        .unwrap_or_else(|| panic!("re-decoding {written} gave an unknown type"));
    let rewritten = serde_json::to_value(&decoded).expect("serializes");
    assert!(
        json_eq(&written, &rewritten),
        "round trip changed the event: {written} -> {rewritten}"
    );
}
