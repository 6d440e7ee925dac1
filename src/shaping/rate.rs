//! A message rate: `"N/s"`, `"N/min"` or `"N/h"`; `"0"` (or `0/...`) is unlimited.

use serde::Deserialize;
use std::time::Duration;

/// A message rate: `"N/s"`, `"N/min"` or `"N/h"`; `"0"` (or `0/...`) is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Rate {
    /// Messages allowed per window; 0 is unlimited.
    pub messages: u64,
    /// The window.
    pub per: Duration,
}

impl Rate {
    /// Whether this rate allows fewer messages than `other` over a long time (unlimited allows
    /// the most).
    pub fn is_below(&self, other: &Rate) -> bool {
        match (self.messages, other.messages) {
            (0, _) => false,
            (_, 0) => true,
            (a, b) => u128::from(a) * other.per.as_millis() < u128::from(b) * self.per.as_millis(),
        }
    }
}

impl TryFrom<String> for Rate {
    type Error = String;

    fn try_from(text: String) -> Result<Rate, String> {
        let bad = || format!("{text:?}: a rate is N/s, N/min or N/h (0 for unlimited)");
        let (count, unit) = text.trim().split_once('/').unwrap_or((text.trim(), "min"));
        let messages: u64 = count.trim().parse().map_err(|_| bad())?;
        let secs = match unit.trim() {
            "s" | "sec" | "second" => 1,
            "min" | "m" | "minute" => 60,
            "h" | "hour" => 3600,
            _ => return Err(bad()),
        };
        match messages {
            0 => Ok(Rate::default()),
            _ => Ok(Rate { messages, per: Duration::from_secs(secs) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Rate;

    #[test]
    fn rates_per_second_minute_and_hour() {
        let rate = |s: &str| Rate::try_from(s.to_string());
        assert_eq!(rate("10/s").unwrap(), Rate { messages: 10, per: std::time::Duration::from_secs(1) });
        assert_eq!(rate("600/min").unwrap().per.as_secs(), 60);
        assert_eq!(rate("50000/h").unwrap().per.as_secs(), 3600);
        assert_eq!(rate("0").unwrap().messages, 0);
        assert!(rate("ten/s").is_err() && rate("5/day").is_err());
    }

    #[test]
    fn slower_rates_are_below() {
        let rate = |s: &str| Rate::try_from(s.to_string()).unwrap();
        assert!(rate("10/min").is_below(&rate("1/s")));
        assert!(!rate("60/min").is_below(&rate("1/s")), "the same rate");
        assert!(rate("1/h").is_below(&rate("0")), "anything is below unlimited");
        assert!(!rate("0").is_below(&rate("1/h")));
    }
}
