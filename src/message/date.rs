//! Dates as RFC 5322 section 3.3 writes them.

use std::time::SystemTime;

/// `Mon, 23 Nov 2026 15:17:27 +0000` (always UTC).
pub fn rfc5322(t: SystemTime) -> String {
    let http = httpdate::fmt_http_date(t);
    match http.strip_suffix(" GMT") {
        Some(base) => format!("{base} +0000"),
        None => http,
    }
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
    let http = httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix_secs));
    // `Mon, 23 Nov 2026 15:17:27 GMT`
    let parts: Vec<&str> = http.split(' ').collect();
    match parts.as_slice() {
        [_, day, month, year, time, _] => format!("{:>2}-{month}-{year} {time} +0000", day.trim_start_matches('0')),
        _ => http,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn imap_dates_pad_the_day_with_a_space() {
        assert_eq!(super::imap(0), " 1-Jan-1970 00:00:00 +0000");
        assert_eq!(super::imap(1_795_446_000), "23-Nov-2026 15:00:00 +0000");
    }
}
