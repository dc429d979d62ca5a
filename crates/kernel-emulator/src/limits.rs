//! The emulator's limits, each written down once: the largest body it reads, the range of every
//! number `startEmulator` and a fault take (whether they come from JS, over HTTP or from Rust)
//! and the message a value outside it gets; the JS layer checks only JS types. Numbers arrive
//! as JS and JSON give them (`f64`, checked by [`Range::check`]) or already typed (checked by
//! [`Range::check_whole`]); either way a value out of range or not whole is refused naming the
//! value as given, never wrapped to fit or rounded.

/// Bodies larger than this are refused with 413.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// The largest of the 32-bit counts and durations (`heartbeatMs`, `delayMs`, `times`).
pub const MAX_INT32: u64 = i32::MAX as u64;

/// The port to listen on; 0 picks a free one.
pub const PORT: Range = Range {
    name: "port",
    min: 0,
    max: u16::MAX as u64,
};

/// Interval of `sse_heartbeat` events, in milliseconds.
pub const HEARTBEAT_MS: Range = Range {
    name: "heartbeatMs",
    min: 1,
    max: MAX_INT32,
};

/// The status a fault answers with.
pub const FAULT_STATUS: Range = Range {
    name: "status",
    min: 200,
    max: 599,
};

/// How long a fault waits, in milliseconds.
pub const FAULT_DELAY_MS: Range = Range {
    name: "delayMs",
    min: 0,
    max: MAX_INT32,
};

/// How many matching requests a fault applies to.
pub const FAULT_TIMES: Range = Range {
    name: "times",
    min: 1,
    max: MAX_INT32,
};

/// A whole number from `min` to `max`, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    /// The field, as JS and JSON name it.
    pub name: &'static str,
    pub min: u64,
    pub max: u64,
}

/// A value outside its limit: `"<name>: <what was expected>, got <value>"`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {reason}")]
pub struct LimitError {
    /// The field, as JS and JSON name it.
    pub name: &'static str,
    /// What was wrong, naming the value given.
    pub reason: String,
}

impl Range {
    /// `value` as a whole number, if it is one within the range.
    pub fn check(&self, value: f64) -> Result<u64, LimitError> {
        // Bounds below 2^53 are exact as f64, so the comparisons are too.
        if value.fract() == 0.0 && value >= self.min as f64 && value <= self.max as f64 {
            Ok(value as u64)
        } else {
            Err(self.refuse(&number_text(value)))
        }
    }

    /// `value`, if it is within the range.
    pub fn check_whole(&self, value: u64) -> Result<u64, LimitError> {
        if (self.min..=self.max).contains(&value) {
            Ok(value)
        } else {
            Err(self.refuse(&value.to_string()))
        }
    }

    fn refuse(&self, given: &str) -> LimitError {
        LimitError {
            name: self.name,
            reason: format!(
                "expected an integer from {} to {}, got {given}",
                self.min, self.max
            ),
        }
    }
}

/// The fraction of matching requests a fault with a `rate` fires for: above 0, at most 1.
pub fn check_rate(rate: f64) -> Result<f64, LimitError> {
    if rate > 0.0 && rate <= 1.0 {
        Ok(rate)
    } else {
        Err(LimitError {
            name: "rate",
            reason: format!(
                "expected a number above 0 and at most 1, got {}",
                number_text(rate)
            ),
        })
    }
}

/// The `apiKey` of `startEmulator`: omitted (a random key) or not blank.
pub fn check_api_key(key: Option<String>) -> Result<Option<String>, LimitError> {
    match key {
        Some(key) if key.trim().is_empty() => Err(LimitError {
            name: "apiKey",
            reason: "must not be blank (omit it for a random key)".into(),
        }),
        key => Ok(key),
    }
}

/// A number as JS prints it (`String(value)`), so a message names the value the caller wrote:
/// `NaN`, `Infinity`, `1e+21`, `0.5`, `4294967296`.
fn number_text(value: f64) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if value == 0.0 {
        return "0".into(); // -0 too
    }
    let magnitude = value.abs();
    if (1e-6..1e21).contains(&magnitude) {
        // Rust's shortest round-trip digits are JS's; only the notation differs at the ends.
        return value.to_string();
    }
    // JS writes `1e+21` where Rust writes `1e21`; `1.5e-7` is the same in both.
    let text = format!("{value:e}");
    match text.split_once('e') {
        Some((digits, exponent)) if !exponent.starts_with('-') => format!("{digits}e+{exponent}"),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_in_range_pass_and_others_name_the_value() {
        assert_eq!(PORT.check(0.0), Ok(0));
        assert_eq!(PORT.check(65535.0), Ok(65535));
        for (value, given) in [
            (65536.0, "65536"),
            (-1.0, "-1"),
            (1.5, "1.5"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (4294967296.0, "4294967296"),
            (1e20, "100000000000000000000"),
            (1e21, "1e+21"),
            (-1e-7, "-1e-7"),
            (0.000001, "0.000001"),
        ] {
            let err = PORT.check(value).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("port: expected an integer from 0 to 65535, got {given}")
            );
        }
        assert_eq!(FAULT_TIMES.check_whole(0).unwrap_err().name, "times");
        assert_eq!(FAULT_DELAY_MS.check_whole(MAX_INT32), Ok(MAX_INT32));
        assert!(FAULT_DELAY_MS.check_whole(MAX_INT32 + 1).is_err());
    }

    #[test]
    fn rates_are_above_zero_and_at_most_one() {
        assert_eq!(check_rate(1.0), Ok(1.0));
        assert_eq!(check_rate(0.25), Ok(0.25));
        for rate in [0.0, -0.5, 1.5, f64::NAN] {
            assert!(check_rate(rate).is_err(), "{rate}");
        }
        assert_eq!(
            check_rate(1.5).unwrap_err().to_string(),
            "rate: expected a number above 0 and at most 1, got 1.5"
        );
    }

    #[test]
    fn a_blank_api_key_is_refused_and_none_means_random() {
        assert_eq!(check_api_key(None), Ok(None));
        assert_eq!(check_api_key(Some("k".into())), Ok(Some("k".into())));
        assert!(check_api_key(Some(" \t".into())).is_err());
        assert!(check_api_key(Some(String::new())).is_err());
    }
}
