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
