//! The Date header as unix seconds: RFC 5322 date-time, read leniently (obsolete two- and
//! three-digit years, named zones, comments, asctime order, missing seconds).

use super::structure::Part;
use crate::date::days_from_civil;
use crate::headers::{first, slice, unfold};

/// The Date header as unix seconds (RFC 5322 date-time incl. obsolete forms, timezone applied),
/// for SEARCH SENTBEFORE etc.; None when missing/unparsable.
pub fn sent_date(message: &[u8], part: &Part) -> Option<i64> {
    parse_date(&unfold(first(slice(message, &part.header), "date")?.value))
}

/// The day of the Date header as its writer wrote it, in days since 1970-01-01, time and zone
/// disregarded (RFC 3501 6.4.4, for SEARCH SENTBEFORE, SENTON and SENTSINCE); None when
/// missing or unparsable.
pub fn sent_day(message: &[u8], part: &Part) -> Option<i64> {
    let (local, _) = date_parts(&unfold(first(slice(message, &part.header), "date")?.value))?;
    Some(local.div_euclid(86_400))
}

/// A date-time (RFC 5322 3.3, obsolete forms included) as unix seconds, the zone applied;
/// read leniently: the parts may come in any order a mailer has used. `None` when unparsable.
pub fn parse_date(value: &[u8]) -> Option<i64> {
    let (local, zone) = date_parts(value)?;
    Some(local - zone)
}

/// A date-time as the seconds its writer's clock showed (since 1970-01-01 of that clock) and
/// its zone's offset east of UTC.
fn date_parts(value: &[u8]) -> Option<(i64, i64)> {
    let text = String::from_utf8_lossy(&strip_comments(value)).into_owned();
    let (mut day, mut month, mut year, mut time, mut zone) = (None, None, None, None, None);
    for token in text.split(|c: char| c.is_whitespace() || c == ',').filter(|t| !t.is_empty()) {
        if token.contains(':') && time.is_none() {
            time = Some(parse_time(token)?);
        } else if let Some(m) = month_number(token).filter(|_| month.is_none()) {
            month = Some(m);
        } else if token.starts_with(['+', '-']) && time.is_some() {
            zone = Some(numeric_zone(token)?);
        } else if token.bytes().all(|b| b.is_ascii_digit()) && token.len() <= 4 {
            let n: i64 = token.parse().ok()?;
            if day.is_none() && token.len() <= 2 {
                day = Some(n);
            } else if year.is_none() {
                year = Some(n);
            }
        } else if time.is_some() && zone.is_none() {
            zone = named_zone(token);
        }
    }
    let (day, month, year) = (day?, month?, full_year(year?));
    let (hour, minute, second) = time?;
    if !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some((days * 86_400 + hour * 3_600 + minute * 60 + second, zone.unwrap_or(0)))
}

/// `hh:mm[:ss]`, range-checked (a leap second is allowed).
fn parse_time(token: &str) -> Option<(i64, i64, i64)> {
    let mut parts = token.split(':').map(|p| p.parse::<i64>().ok().filter(|_| (1..=2).contains(&p.len())));
    let hour = parts.next()??;
    let minute = parts.next()??;
    let second = parts.next().unwrap_or(Some(0))?;
    (parts.next().is_none() && hour < 24 && minute < 60 && second <= 60).then_some((hour, minute, second))
}

/// `+hhmm` / `-hhmm` as seconds east of UTC.
fn numeric_zone(token: &str) -> Option<i64> {
    let digits = token.get(1..).filter(|d| d.len() == 4 && d.bytes().all(|b| b.is_ascii_digit()))?;
    let n: i64 = digits.parse().ok()?;
    let offset = (n / 100) * 3_600 + (n % 100) * 60;
    Some(if token.starts_with('-') { -offset } else { offset })
}

/// Obsolete named zones (RFC 5322 4.3); others, military letters included, count as UTC.
fn named_zone(token: &str) -> Option<i64> {
    let hours = match token.to_ascii_uppercase().as_str() {
        "EDT" => -4,
        "EST" | "CDT" => -5,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        _ => 0,
    };
    Some(hours * 3_600)
}

/// January = 1, from the first three letters of an English month name.
fn month_number(token: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let prefix = token.get(..3)?.to_ascii_lowercase();
    MONTHS.iter().position(|m| *m == prefix).map(|i| i as i64 + 1)
}

/// Obsolete years: two digits are 19xx from 50, 20xx below; three digits add 1900.
fn full_year(year: i64) -> i64 {
    match year {
        0..=49 => 2000 + year,
        50..=999 => 1900 + year,
        _ => year,
    }
}

/// `value` without its (nested) comments.
fn strip_comments(value: &[u8]) -> Vec<u8> {
    let mut depth = 0usize;
    let mut out = Vec::with_capacity(value.len());
    for &b in value {
        match b {
            b'(' => depth += 1,
            b')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(b),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Option<i64> {
        parse_date(s.as_bytes())
    }

    #[test]
    fn parses_rfc_5322_dates() {
        assert_eq!(date("Thu, 1 Jan 1970 00:00:00 +0000"), Some(0));
        assert_eq!(date("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)"), Some(837_595_405));
        assert_eq!(date("Sat, 20 Nov 2021 14:22:01 -0800"), Some(1_637_446_921));
        assert_eq!(date("29 Feb 2024 12:00 +0100"), Some(1_709_204_400));
    }

    #[test]
    fn parses_obsolete_forms() {
        assert_eq!(date("Thu, 1 Jan 70 00:00:00 GMT"), Some(0));
        assert_eq!(date("1 Jan 100 00:00:00 UT"), Some(date("1 Jan 2000 00:00:00 +0000").unwrap()));
        assert_eq!(date("Thu,  1 Jan 1970 00:00:00 EST"), Some(5 * 3600));
        assert_eq!(date("Thu Jan  1 00:00:00 1970"), Some(0));
        assert_eq!(date("Thursday, 01-Jan-1970 00:00:00 Z"), None);
        assert_eq!(date("1 January 1970 01:00:00 (comment) +0100"), Some(0));
    }

    #[test]
    fn the_sent_day_is_the_day_written_whatever_the_zone() {
        let day = |date: &str| {
            let message = format!("Date: {date}\r\nSubject: x\r\n\r\nbody\r\n");
            let root = crate::mime::parse(message.as_bytes());
            sent_day(message.as_bytes(), &root)
        };
        let jan_2 = days_from_civil(2024, 1, 2);
        // 23:30 on the 2nd at -0500 is the 3rd in UTC; 00:30 on the 2nd at +0200 is the 1st.
        assert_eq!(day("Tue, 2 Jan 2024 23:30:00 -0500"), Some(jan_2));
        assert_eq!(day("Tue, 2 Jan 2024 00:30:00 +0200"), Some(jan_2));
        assert_eq!(day("Tue, 2 Jan 2024 12:00:00 +0000"), Some(jan_2), "control");
        assert_eq!(day("soon"), None);
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "yesterday", "32 Jan 2000 00:00:00", "1 Jan 2000 25:00:00", "1 Jan 2000", "1 Foo 2000 00:00:00"]
        {
            assert_eq!(date(bad), None, "{bad}");
        }
        assert_eq!(date("1 Jan 2000 00:00:00 +99999"), None);
    }
}
