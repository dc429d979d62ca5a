//! The list answer's paging headers, `X-Has-More` and `X-Next-Offset`
//! (`kernel_core::fuzzing::page_headers`).
//!
//! Input: a raw HTTP response head; see `kernel_core_fuzz::parse_response`.
//!
//! Properties: a success never has `X-Has-More: true` without an offset (the list would end
//! silently); `has_more` is exactly the header's `true`/`false`; the offset is exactly the
//! trimmed header parsed as a `u64`; anything else is a decode error naming the header, never
//! a panic or a guessed value.

#![no_main]

use kernel_core::fuzzing::page_headers;
use kernel_core::Error;
use kernel_core_fuzz::parse_response;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let response = parse_response(data);
    let has_more = response.headers.get("x-has-more").map(|v| v.as_bytes());
    let offset = response
        .headers
        .get("x-next-offset")
        .map(|v| v.to_str().ok().and_then(|t| t.trim().parse::<u64>().ok()));
    match page_headers(response.status, &response.headers) {
        Ok((more, next)) => {
            assert!(
                !(more == Some(true) && next.is_none()),
                "truncation accepted"
            );
            match has_more {
                None => assert_eq!(more, None),
                Some(b"true") => assert_eq!(more, Some(true)),
                Some(b"false") => assert_eq!(more, Some(false)),
                Some(other) => panic!("accepted X-Has-More {other:?}"),
            }
            match offset {
                None => assert_eq!(next, None),
                Some(parsed) => assert_eq!(next, Some(parsed.expect("accepted a bad offset"))),
            }
        }
        Err(Error::Decode { expected, .. }) => {
            assert!(expected.contains("X-Has-More") || expected.contains("X-Next-Offset"));
            let bad_flag = has_more.is_some_and(|v| v != b"true" && v != b"false");
            let bad_offset = matches!(offset, Some(None));
            let truncated = has_more == Some(b"true") && offset.is_none();
            assert!(bad_flag || bad_offset || truncated, "refused good headers");
        }
        Err(other) => panic!("unexpected error kind: {other:?}"),
    }
});
