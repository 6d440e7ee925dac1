//! `ringmail queue transfer`: turns a transfer on (see `queue/transfers.rs`), makes the
//! matching recipients due, and waits while the schedulers hand them over, making those the
//! other node deferred due again now and then.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use super::queue::{Filter, matching, retry_now};
use super::{AdminContext, AdminError};
use crate::config::outbound::RelayHost;

/// How often the queue is counted while mail is handed over.
const LOOK_EVERY: Duration = Duration::from_millis(200);
/// How often the recipients the other node deferred are made due again.
const RETRY_EVERY: Duration = Duration::from_secs(2);

/// Hands the queued mail for `domain` (None: all) to the node at `to`, for up to `wait_secs`.
pub fn run(
    ctx: &AdminContext,
    to: &str,
    domain: Option<String>,
    wait_secs: u64,
    out: &mut String,
) -> Result<(), AdminError> {
    let Some(transfers) = &ctx.transfers else {
        return Err(AdminError("a transfer needs the running server".into()));
    };
    let node = RelayHost::try_from(to.to_string()).map_err(|e| AdminError(format!("--to: {e}")))?;
    let filter = Filter::new(None, domain.clone())?;
    let queued = matching(ctx, &filter)?.len();
    if queued == 0 {
        let _ = writeln!(out, "nothing queued to transfer");
        return Ok(());
    }
    let _transfer = transfers.begin(domain, node);
    let (started, deadline) = (Instant::now(), Instant::now() + Duration::from_secs(wait_secs));
    let mut retried = Instant::now() - RETRY_EVERY;
    let left = loop {
        if retried.elapsed() >= RETRY_EVERY {
            retry_now(ctx, &filter)?;
            retried = Instant::now();
        }
        std::thread::sleep(LOOK_EVERY);
        let left = matching(ctx, &filter)?;
        if left.is_empty() || Instant::now() >= deadline {
            break left;
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let _ = writeln!(out, "{} of {queued} recipients handed to {to} in {secs:.1} s", queued.saturating_sub(left.len()));
    // The queue is in the order of due times: the last was deferred last.
    match left.last() {
        None => Ok(()),
        Some(r) => {
            let error = r.entry.last_error.as_deref().unwrap_or("not tried yet");
            Err(AdminError(format!("{out}{} recipients are still queued here; last error: {error}", left.len())))
        }
    }
}
