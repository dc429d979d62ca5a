//! Offset pagination: one page of a list, and what the server said about the next one.

use http::{HeaderMap, StatusCode};

use crate::error::Error;

/// One page of an offset-paginated list, with what the server said about the next one.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// `X-Has-More`, when sent.
    pub has_more: Option<bool>,
    /// `X-Next-Offset`: the absolute offset of the next page, 0 on the last.
    pub next_offset: Option<u64>,
    /// The offset this page was asked for (0 for the first).
    pub offset: u64,
    /// The status the page came with, for the error of a walk that would not advance.
    pub(crate) status: u16,
}

impl<T> Page<T> {
    /// The offset to ask for next, or `None` when this is the last page: an empty page,
    /// `X-Has-More: false`, or `X-Next-Offset` absent or 0 (as `@onkernel/sdk` decides). The
    /// JS layer's `hasNextPage()` asks this, so the rule has one home.
    ///
    /// A next offset that does not move past this page's is an [`Error::Decode`]: following
    /// it would ask for the same pages forever.
    pub fn next_page_offset(&self) -> Result<Option<u64>, Error> {
        if self.items.is_empty() || self.has_more == Some(false) {
            return Ok(None);
        }
        match self.next_offset.filter(|next| *next > 0) {
            Some(next) if next <= self.offset => Err(Error::Decode {
                status: self.status,
                expected: "an X-Next-Offset past this page's offset",
                reason: format!(
                    "the next offset {next} does not move past this page's offset {}; stopping the walk instead of asking for the same pages forever",
                    self.offset
                ),
            }),
            next => Ok(next),
        }
    }
}

/// Reads `X-Has-More` and `X-Next-Offset` of a list answer. Anything but `true`/`false`, or a
/// non-negative integer, is a [`Error::Decode`]; so is `X-Has-More: true` without an offset,
/// which would otherwise end the list silently.
pub(crate) fn page_headers(
    status: StatusCode,
    headers: &HeaderMap,
) -> Result<(Option<bool>, Option<u64>), Error> {
    let has_more = match headers.get("x-has-more").map(|v| v.as_bytes()) {
        None => None,
        Some(b"true") => Some(true),
        Some(b"false") => Some(false),
        Some(other) => {
            return Err(Error::Decode {
                status: status.as_u16(),
                expected: "an X-Has-More header of true or false",
                reason: format!("got {:?}", String::from_utf8_lossy(other)),
            })
        }
    };
    let next_offset = match headers.get("x-next-offset") {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|text| text.trim().parse::<u64>().ok())
                .ok_or_else(|| Error::Decode {
                    status: status.as_u16(),
                    expected: "an X-Next-Offset header holding a non-negative integer",
                    reason: format!("got {value:?}"),
                })?,
        ),
    };
    if has_more == Some(true) && next_offset.is_none() {
        return Err(Error::Decode {
            status: status.as_u16(),
            expected: "an X-Next-Offset header",
            reason: "the server sent X-Has-More: true without X-Next-Offset; refusing to truncate the list silently".into(),
        });
    }
    Ok((has_more, next_offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(items: usize, has_more: Option<bool>, next_offset: Option<u64>) -> Page<u8> {
        Page {
            items: vec![0; items],
            has_more,
            next_offset,
            offset: 2,
            status: 200,
        }
    }

    #[test]
    fn the_next_page_is_asked_for_only_when_the_server_says_there_is_one() {
        assert_eq!(
            page(2, Some(true), Some(4)).next_page_offset().unwrap(),
            Some(4)
        );
        assert_eq!(page(2, None, Some(4)).next_page_offset().unwrap(), Some(4));
        assert_eq!(
            page(2, Some(false), Some(4)).next_page_offset().unwrap(),
            None
        );
        assert_eq!(page(2, None, Some(0)).next_page_offset().unwrap(), None);
        assert_eq!(page(2, None, None).next_page_offset().unwrap(), None);
        assert_eq!(
            page(0, Some(true), Some(4)).next_page_offset().unwrap(),
            None
        );
    }

    #[test]
    fn a_next_offset_that_does_not_advance_is_an_error() {
        for stuck in [2, 1] {
            let err = page(2, Some(true), Some(stuck))
                .next_page_offset()
                .unwrap_err();
            assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");
        }
    }
}
