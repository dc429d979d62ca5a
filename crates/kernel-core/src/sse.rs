//! A Server-Sent Events parser (the WHATWG event-stream format), fed with bytes as they arrive.
//! It holds at most one event's worth of bytes, bounded by `max_event_bytes`.

use std::collections::VecDeque;

use crate::error::Error;

/// One dispatched event: its `data:` lines joined by `\n`. The API names each event inside its
/// JSON (`{"event": "log", ...}`), so the `event:` and `id:` lines are read past, not kept:
/// nothing reconnects with a last event id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    pub data: String,
}

/// Incremental parser: [`SseParser::feed`] bytes, then take events with [`SseParser::next_event`].
#[derive(Debug)]
pub struct SseParser {
    /// Bytes not yet split into lines.
    pending: Vec<u8>,
    /// The previous chunk ended in `\r`: a `\n` starting the next one belongs to it.
    skip_lf: bool,
    at_start: bool,
    data: String,
    has_data: bool,
    /// Bytes of the event being assembled, including pending ones.
    event_bytes: usize,
    max_event_bytes: usize,
    ready: VecDeque<SseEvent>,
}

impl SseParser {
    pub fn new(max_event_bytes: usize) -> Self {
        SseParser {
            pending: Vec::new(),
            skip_lf: false,
            at_start: true,
            data: String::new(),
            has_data: false,
            event_bytes: 0,
            max_event_bytes,
            ready: VecDeque::new(),
        }
    }

    /// Takes the next complete event, if one has arrived.
    pub fn next_event(&mut self) -> Option<SseEvent> {
        self.ready.pop_front()
    }

    /// Adds bytes from the stream; fails on invalid UTF-8 or an event larger than the limit.
    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<(), Error> {
        // An empty read between a `\r` and its `\n` must not forget the pending `\r`
        // (found by the sse_stream fuzz target).
        if chunk.is_empty() {
            return Ok(());
        }
        if self.skip_lf {
            self.skip_lf = false;
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
        }
        let mut start = 0;
        let mut index = 0;
        while index < chunk.len() {
            let byte = chunk[index];
            if byte == b'\n' || byte == b'\r' {
                let line_end = index;
                if byte == b'\r' {
                    match chunk.get(index + 1) {
                        Some(b'\n') => index += 1,
                        None => self.skip_lf = true,
                        Some(_) => {}
                    }
                }
                if self.pending.is_empty() {
                    self.take_line(&chunk[start..line_end])?;
                } else {
                    self.pending.extend_from_slice(&chunk[start..line_end]);
                    let pending = std::mem::take(&mut self.pending);
                    self.take_line(&pending)?;
                }
                start = index + 1;
            }
            index += 1;
        }
        self.pending
            .extend_from_slice(&chunk[start.min(chunk.len())..]);
        self.check_size()
    }

    /// The stream ended: a half-received event is discarded, as the format requires.
    pub fn finish(&mut self) {
        self.pending.clear();
        self.reset_event();
    }

    fn check_size(&self) -> Result<(), Error> {
        if self.event_bytes + self.pending.len() > self.max_event_bytes {
            return Err(Error::Stream(format!(
                "an event exceeded {} bytes",
                self.max_event_bytes
            )));
        }
        Ok(())
    }

    fn reset_event(&mut self) {
        self.data.clear();
        self.has_data = false;
        self.event_bytes = 0;
    }

    fn take_line(&mut self, raw: &[u8]) -> Result<(), Error> {
        let mut line = std::str::from_utf8(raw)
            .map_err(|_| Error::Stream("the stream is not valid UTF-8".into()))?;
        if self.at_start {
            self.at_start = false;
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        if line.is_empty() {
            if self.has_data {
                self.ready.push_back(SseEvent {
                    data: std::mem::take(&mut self.data),
                });
            }
            self.reset_event();
            return Ok(());
        }
        self.event_bytes += raw.len();
        self.check_size()?;
        if line.starts_with(':') {
            return Ok(()); // a comment
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        if field == "data" {
            if self.has_data {
                self.data.push('\n');
            }
            self.data.push_str(value);
            self.has_data = true;
        }
        // `event`, `id`, `retry` and unknown fields are read past (see `SseEvent`).
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(input: &[u8], piece: usize) -> Vec<SseEvent> {
        let mut parser = SseParser::new(1 << 20);
        let mut events = Vec::new();
        for chunk in input.chunks(piece.max(1)) {
            parser.feed(chunk).unwrap();
            while let Some(event) = parser.next_event() {
                events.push(event);
            }
        }
        parser.finish();
        events
    }

    #[test]
    fn events_with_names_multiline_data_and_comments() {
        let input = b": hello\nevent: invocation_state\ndata: {\"a\":1}\n\ndata: line1\ndata:line2\nid: 7\n\n";
        for piece in 1..input.len() {
            let events = parse_in_pieces(input, piece);
            assert_eq!(events.len(), 2, "piece {piece}");
            assert_eq!(events[0].data, "{\"a\":1}");
            assert_eq!(events[1].data, "line1\nline2");
        }
    }

    #[test]
    fn every_line_ending_works() {
        for input in [
            &b"data: x\r\n\r\ndata: y\r\n\r\n"[..],
            b"data: x\r\rdata: y\r\r",
            b"data: x\n\ndata: y\n\n",
        ] {
            for piece in 1..input.len() {
                let data: Vec<String> = parse_in_pieces(input, piece)
                    .into_iter()
                    .map(|e| e.data)
                    .collect();
                assert_eq!(data, ["x", "y"], "{input:?} in pieces of {piece}");
            }
        }
    }

    #[test]
    fn an_empty_read_between_cr_and_lf_keeps_them_one_line_end() {
        let mut parser = SseParser::new(1024);
        for chunk in [&b"data: x\r"[..], b"", b"\ndata: y\r", b"", b"\n\r\n"] {
            parser.feed(chunk).unwrap();
        }
        let event = parser.next_event().expect("one event");
        assert_eq!(event.data, "x\ny");
        assert!(parser.next_event().is_none());
    }

    #[test]
    fn events_without_data_and_unfinished_events_are_dropped() {
        assert!(parse_in_pieces(b"event: ping\n\n", 4).is_empty());
        assert!(parse_in_pieces(b"data: half", 3).is_empty());
        assert_eq!(
            parse_in_pieces(b"\xef\xbb\xbfdata: bom\n\n", 2)[0].data,
            "bom"
        );
    }

    #[test]
    fn oversize_events_and_bad_utf8_fail() {
        let mut parser = SseParser::new(16);
        assert!(matches!(
            parser.feed(b"data: 0123456789abcdef\n"),
            Err(Error::Stream(_))
        ));
        let mut endless = SseParser::new(16);
        assert!(endless.feed(&[b'x'; 10]).is_ok());
        assert!(endless.feed(&[b'x'; 10]).is_err());
        let mut parser = SseParser::new(1024);
        assert!(matches!(
            parser.feed(b"data: \xff\n\n"),
            Err(Error::Stream(_))
        ));
    }
}
