//! An invocation's event stream as it arrives: read only when asked for (so a slow consumer
//! slows the socket instead of growing a buffer), with an idle timeout between reads.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;

use crate::error::Error;
use crate::events::FollowEvent;
use crate::sse::SseParser;

/// An event larger than this is refused rather than buffered.
pub const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// The events of one `follow` call. Dropping it closes the connection.
pub struct EventStream {
    body: Option<reqwest::Response>,
    parser: SseParser,
    idle_timeout: Duration,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("open", &self.body.is_some())
            .field("idle_timeout", &self.idle_timeout)
            .finish_non_exhaustive()
    }
}

impl EventStream {
    pub(crate) fn new(body: reqwest::Response, idle_timeout: Duration) -> Self {
        EventStream {
            body: Some(body),
            parser: SseParser::new(MAX_EVENT_BYTES),
            idle_timeout,
        }
    }

    /// The next event, or `None` once the server ended the stream. Events of unknown types
    /// are skipped. A silence longer than the timeout is [`Error::Timeout`].
    pub async fn next_event(&mut self) -> Result<Option<FollowEvent>, Error> {
        loop {
            while let Some(raw) = self.parser.next_event() {
                if let Some(event) = FollowEvent::decode(&raw)? {
                    return Ok(Some(event));
                }
            }
            match self.next_chunk().await? {
                Some(chunk) => self.parser.feed(&chunk)?,
                None => {
                    self.parser.finish();
                    return Ok(None);
                }
            }
        }
    }

    /// The next bytes exactly as received, or `None` at the end: for callers that want the raw
    /// stream instead of events.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, Error> {
        let Some(body) = self.body.as_mut() else {
            return Ok(None);
        };
        let read = tokio::time::timeout(self.idle_timeout, body.chunk()).await;
        match read {
            Err(_) => {
                self.close();
                Err(Error::Timeout)
            }
            Ok(Err(err)) => {
                self.close();
                Err(Error::from_transport(err))
            }
            Ok(Ok(None)) => {
                self.close();
                Ok(None)
            }
            Ok(Ok(Some(chunk))) => Ok(Some(chunk)),
        }
    }

    /// Closes the connection; later reads return `None`.
    pub fn close(&mut self) {
        self.body = None;
    }
}
