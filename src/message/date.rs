//! Dates as RFC 5322 section 3.3 and IMAP (RFC 9051 9) write them, formatted by `time`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;
use time::macros::format_description;

/// `Mon, 23 Nov 2026 15:17:27 +0000` (always UTC).
pub fn rfc5322(t: SystemTime) -> String {
    // Rfc2822 fails only for years before 1900, which no clock of ours reads.
    OffsetDateTime::from(t).format(&Rfc2822).unwrap_or_default()
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// IMAP's date-time (RFC 9051 9): `23-Nov-2026 15:17:27 +0000`, the day padded with a space.
pub fn imap(unix_secs: u64) -> String {
    let format = format_description!("[day padding:space]-[month repr:short]-[year] [hour]:[minute]:[second] +0000");
    OffsetDateTime::from(UNIX_EPOCH + Duration::from_secs(unix_secs)).format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rfc5322_dates_are_utc_with_a_numeric_zone() {
        assert_eq!(super::rfc5322(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(super::rfc5322(UNIX_EPOCH + Duration::from_secs(1_795_446_000)), "Mon, 23 Nov 2026 15:00:00 +0000");
    }

    #[test]
    fn imap_dates_pad_the_day_with_a_space() {
        assert_eq!(super::imap(0), " 1-Jan-1970 00:00:00 +0000");
        assert_eq!(super::imap(1_795_446_000), "23-Nov-2026 15:00:00 +0000");
    }
}
