//! Dates: search dates `1-Feb-1994` and APPEND's `"07-Jul-1996 02:44:25 -0700"` (RFC 9051 9
//! `date`, `date-time`).

use super::error::Result;
use super::lexer::Lexer;
use message::date::days_from_civil;

/// Days since 1970-01-01 (UTC) for search dates like `1-Feb-1994`.
pub type Day = i64;

/// Month names, compared case-insensitively.
const MONTHS: [&[u8; 3]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

/// Number of days in `month` (1-12) of `year`.
fn month_len(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Lexer<'_> {
    /// Exactly `n` digits as a number.
    fn fixed_digits(&mut self, n: usize) -> Result<i64> {
        let digits = self.input.get(self.pos..self.pos + n).filter(|d| d.iter().all(u8::is_ascii_digit));
        let digits = digits.ok_or("bad date")?;
        self.pos += n;
        Ok(digits.iter().fold(0, |v, &d| v * 10 + i64::from(d - b'0')))
    }

    /// `date-day`: one or two digits.
    fn date_day(&mut self) -> Result<i64> {
        let n = if self.input.get(self.pos + 1) == Some(&b'-') { 1 } else { 2 };
        self.fixed_digits(n)
    }

    /// `date-month "-" date-year` after the day and its dash, checked against `day`.
    fn month_year(&mut self, day: i64) -> Result<Day> {
        let name = self.input.get(self.pos..self.pos + 3).ok_or("bad date")?;
        let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name)).ok_or("bad month")? as i64 + 1;
        self.pos += 3;
        self.expect(b'-', "bad date")?;
        let year = self.fixed_digits(4)?;
        if day < 1 || day > month_len(year, month) {
            return Err("bad day of month");
        }
        Ok(days_from_civil(year, month, day))
    }

    /// `date`: `d-Mon-yyyy` or `dd-Mon-yyyy`, optionally in double quotes.
    pub(super) fn date(&mut self) -> Result<Day> {
        let quoted = self.eat(b'"');
        let day = self.date_day()?;
        self.expect(b'-', "bad date")?;
        let day = self.month_year(day)?;
        if quoted {
            self.expect(b'"', "bad date")?;
        }
        Ok(day)
    }

    /// `date-time`: `"dd-Mon-yyyy hh:mm:ss +zzzz"` (day may be space-padded or one digit),
    /// as Unix seconds.
    pub(super) fn date_time(&mut self) -> Result<i64> {
        self.expect(b'"', "expected a date-time")?;
        self.eat(b' ');
        let day = self.date_day()?;
        self.expect(b'-', "bad date")?;
        let days = self.month_year(day)?;
        self.sp()?;
        let hour = self.fixed_digits(2)?;
        self.expect(b':', "bad time")?;
        let minute = self.fixed_digits(2)?;
        self.expect(b':', "bad time")?;
        let second = self.fixed_digits(2)?;
        self.sp()?;
        let sign = match self.peek() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return Err("bad time zone"),
        };
        self.pos += 1;
        let zone = self.fixed_digits(4)?;
        self.expect(b'"', "bad date-time")?;
        if hour > 23 || minute > 59 || second > 60 || zone % 100 > 59 {
            return Err("bad time");
        }
        let offset = sign * ((zone / 100) * 3600 + (zone % 100) * 60);
        Ok(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(input: &str) -> Result<Day> {
        Lexer::new(input.as_bytes()).date()
    }

    fn date_time(input: &str) -> Result<i64> {
        Lexer::new(input.as_bytes()).date_time()
    }

    #[test]
    fn search_dates() {
        assert_eq!(date("1-Jan-1970"), Ok(0));
        assert_eq!(date("1-Feb-1994"), Ok(8797));
        assert_eq!(date("01-feb-1994"), Ok(8797));
        assert_eq!(date("\"1-FEB-1994\""), Ok(8797));
        assert_eq!(date("29-Feb-2000"), Ok(11016));
        assert_eq!(date("31-Dec-1969"), Ok(-1));
        for bad in [
            "29-Feb-1900",
            "32-Jan-2000",
            "0-Jan-2000",
            "1-Foo-2000",
            "1-Jan-99",
            "1 Jan 2000",
            "001-Jan-2000",
            "\"1-Jan-2000",
        ] {
            assert!(date(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn append_date_times() {
        assert_eq!(date_time("\"07-Jul-1996 02:44:25 -0700\""), Ok(836_732_665));
        assert_eq!(date_time("\" 7-Jul-1996 02:44:25 -0700\""), Ok(836_732_665));
        assert_eq!(date_time("\"7-Jul-1996 09:44:25 +0000\""), Ok(836_732_665));
        assert_eq!(date_time("\"01-Jan-1970 01:00:00 +0100\""), Ok(0));
        for bad in [
            "\"07-Jul-1996 24:00:00 +0000\"",
            "\"07-Jul-1996 02:44 -0700\"",
            "\"07-Jul-1996 02:44:25 0700\"",
            "\"07-Jul-1996 02:44:25 -0760\"",
            "\"07-Jul-1996 02:44:25 -0700",
            "07-Jul-1996 02:44:25 -0700",
            "\"007-Jul-1996 02:44:25 -0700\"",
        ] {
            assert!(date_time(bad).is_err(), "{bad}");
        }
    }
}
