//! Timestamps as the Kernel API writes them: RFC 3339, UTC, nine fractional digits.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Duration, OffsetDateTime};

pub fn format(at: OffsetDateTime) -> String {
    let layout =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:9]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(&layout)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// `since` filters take an RFC 3339 time or a duration back from now (`5m`, `1h30m`, `10s`).
pub fn parse_since(value: &str) -> Result<OffsetDateTime, String> {
    if let Ok(at) = OffsetDateTime::parse(value, &Rfc3339) {
        return Ok(at);
    }
    let ago = humantime::parse_duration(value).map_err(|_| {
        format!("since must be an RFC 3339 time or a duration such as 5m, got {value:?}")
    })?;
    let ago = Duration::try_from(ago).map_err(|_| format!("since {value:?} is too far back"))?;
    now()
        .checked_sub(ago)
        .ok_or_else(|| format!("since {value:?} is too far back"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nine_fractional_digits_in_utc() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_764_324_000_000_000_005).unwrap();
        assert_eq!(format(at), "2025-11-28T10:00:00.000000005Z");
    }

    #[test]
    fn since_takes_times_and_durations() {
        let at = parse_since("2026-01-02T03:04:05.5Z").unwrap();
        assert_eq!(at.unix_timestamp(), 1_767_323_045);
        let five_minutes_ago = parse_since("5m").unwrap();
        let delta = now() - five_minutes_ago;
        assert!(delta >= Duration::minutes(5) && delta < Duration::minutes(6));
        assert!(parse_since("yesterday").is_err());
    }
}
