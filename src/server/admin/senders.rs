//! `ringmail senders`: each sending domain's recipients delivered, complaints and complaint
//! rate over the last hours, the highest rate first, with the ones over the 0.3% that Gmail's
//! and Yahoo's bulk sender rules allow marked.

use std::fmt::Write as _;

use store::sender_stats::KEEP_HOURS;
use store::{Store, unix_now};

use super::AdminError;

/// The complaint rate above which the big providers start to refuse a bulk sender's mail.
const PROVIDER_LIMIT: f64 = 0.003;

/// The listing over the last `hours` hours (the current one included).
pub fn listing(store: &Store, hours: u32) -> Result<Vec<u8>, AdminError> {
    if hours == 0 || u64::from(hours) > KEEP_HOURS {
        return Err(AdminError(format!("--hours must be from 1 to {KEEP_HOURS}")));
    }
    let since = (unix_now() / 3600).saturating_sub(u64::from(hours) - 1);
    let mut rows: Vec<_> = store.sender_stats_since(since)?.into_iter().collect();
    rows.sort_by(|(a, x), (b, y)| y.complaint_rate().total_cmp(&x.complaint_rate()).then_with(|| a.cmp(b)));
    let mut out = format!("# the last {hours} hours: domain, recipients delivered, complaints, complaint rate\n");
    for (domain, stats) in rows {
        let rate = stats.complaint_rate();
        let over = if rate > PROVIDER_LIMIT { "\tover 0.3%" } else { "" };
        let shown = if stats.delivered == 0 { "-".to_string() } else { format!("{:.2}%", rate * 100.0) };
        let _ = writeln!(
            out,
            "{domain}\tdelivered={}\tcomplaints={}\trate={shown}{over}",
            stats.delivered, stats.complaints
        );
    }
    Ok(out.into_bytes())
}
