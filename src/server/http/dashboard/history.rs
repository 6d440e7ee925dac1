//! The per-second history of the dashboard's chart: one process-wide [`History`], a ring of
//! [`HISTORY_SECS`] slots, each stamped with the unix second it counts, fed from the cumulative
//! counters of [`crate::metrics`] by [`sample_stats`] (a task on shard 0, once a second) and by
//! every read of `/api/v1/stats`, so the newest second is always current. A sample takes the
//! difference from the one before; when seconds passed without a sample (a busy executor), that
//! difference is spread evenly over them, so the rate stays right. A slot whose stamp is not the
//! second asked for is a second nobody sampled, and reads as zero: that is how the ring wraps.

use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use crate::net::shutdown::Shutdown;
use store::unix_now;

/// Seconds of history kept: one hour.
pub const HISTORY_SECS: usize = 3600;

/// The counters the history follows, in the order of [`Counts`]: messages in, recipients out
/// by outcome, then the journal's group commits and their summed latency in microseconds.
pub const SERIES: [&str; 7] = ["received", "delivered", "deferred", "bounced", "expired", "commits", "commit_micros"];
/// How many of `SERIES` `/api/v1/stats` shows (the journal's go to `/api/v1/health`).
pub const SHOWN: usize = 5;
/// The index of the journal's commit count.
pub const COMMITS: usize = 5;
/// The index of the journal's summed commit time.
pub const COMMIT_MICROS: usize = 6;

/// Counts, one per name of `SERIES`: cumulative since start in a sample, per second in the ring.
pub type Counts = [u64; SERIES.len()];

/// Per-second counts over the last [`HISTORY_SECS`] seconds.
pub struct History {
    /// The counts of each slot; slot `s % HISTORY_SECS` holds second `s`.
    counts: Box<[Counts]>,
    /// The unix second each slot holds (0: none yet).
    stamps: Box<[u64]>,
    /// The second and the totals of the last sample.
    last: Option<(u64, Counts)>,
}

impl Default for History {
    fn default() -> History {
        History {
            counts: vec![[0; SERIES.len()]; HISTORY_SECS].into(),
            stamps: vec![0; HISTORY_SECS].into(),
            last: None,
        }
    }
}

impl History {
    /// Takes the cumulative `totals` seen at unix second `now`. The first sample is only the
    /// baseline: what was counted before it belongs to no second.
    pub fn record(&mut self, now: u64, totals: Counts) {
        let Some((then, before)) = self.last else {
            self.last = Some((now, totals));
            return;
        };
        let delta: Counts = std::array::from_fn(|i| totals[i].saturating_sub(before[i]));
        if now <= then {
            // The same second again (or the clock stepped back): it counts for the last one.
            let slot = self.slot(then);
            slot.iter_mut().zip(delta).for_each(|(c, d)| *c += d);
            self.last = Some((then, totals));
            return;
        }
        let gap = now - then;
        // Only the seconds still inside the window get a share; their shares are those of an
        // even spread over the whole gap, the remainder going to the newest second.
        let first = then + 1 + gap.saturating_sub(HISTORY_SECS as u64);
        for second in first..=now {
            let slot = self.slot(second);
            for (i, c) in slot.iter_mut().enumerate() {
                *c = delta[i] / gap + if second == now { delta[i] % gap } else { 0 };
            }
        }
        self.last = Some((now, totals));
    }

    /// The slot of `second`, emptied first when it held an older one.
    fn slot(&mut self, second: u64) -> &mut Counts {
        let i = (second % HISTORY_SECS as u64) as usize;
        if self.stamps[i] != second {
            self.stamps[i] = second;
            self.counts[i] = [0; SERIES.len()];
        }
        &mut self.counts[i]
    }

    /// The counts of `series` for the `len` seconds up to and including `end`, oldest first;
    /// a second without a sample is zero.
    pub fn series(&self, series: usize, end: u64, len: usize) -> Vec<u64> {
        let len = len.min(HISTORY_SECS) as u64;
        (0..len)
            .map(|back| end.checked_sub(len - 1 - back))
            .map(|second| match second {
                Some(s) if s > 0 && self.stamps[(s % HISTORY_SECS as u64) as usize] == s => {
                    self.counts[(s % HISTORY_SECS as u64) as usize][series]
                }
                _ => 0,
            })
            .collect()
    }

    /// The second of the last sample, if there was one.
    pub fn last_second(&self) -> Option<u64> {
        self.last.map(|(second, _)| second)
    }
}

/// The process's history, shared by every shard.
static HISTORY: LazyLock<Mutex<History>> = LazyLock::new(|| Mutex::new(History::default()));

/// The process's history, locked (a panic elsewhere does not poison it for good).
pub fn history() -> MutexGuard<'static, History> {
    HISTORY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The counters' totals now.
pub fn totals() -> Counts {
    let m = crate::metrics::totals();
    [m.received, m.delivered, m.deferred, m.bounced, m.expired, m.journal_commits, m.journal_commit_micros]
}

/// Samples the counters into the history once a second until shutdown (one task, on shard 0).
pub async fn sample_stats(shutdown: Shutdown) {
    loop {
        history().record(unix_now(), totals());
        if shutdown.sleep(Duration::from_secs(1)).await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(received: u64) -> Counts {
        [received, 0, 0, 0, 0, 0, 0]
    }

    #[test]
    fn the_first_sample_is_only_a_baseline() {
        let mut h = History::default();
        h.record(1000, t(500));
        assert_eq!(h.series(0, 1000, 3), [0, 0, 0]);
        h.record(1001, t(503));
        assert_eq!(h.series(0, 1001, 3), [0, 0, 3]);
    }

    #[test]
    fn samples_in_the_same_second_add_up() {
        let mut h = History::default();
        h.record(1000, t(0));
        h.record(1001, t(2));
        h.record(1001, t(5));
        h.record(1000, t(6)); // the clock stepped back: still the newest second
        assert_eq!(h.series(0, 1001, 2), [0, 6]);
    }

    #[test]
    fn seconds_without_samples_share_the_difference_or_read_zero() {
        let mut h = History::default();
        h.record(1000, t(0));
        h.record(1001, t(4));
        // Four seconds passed before the next sample: 10 messages, spread over them.
        h.record(1005, t(14));
        assert_eq!(h.series(0, 1005, 6), [0, 4, 2, 2, 2, 4]);
        // Nothing sampled after 1005: later seconds read zero, and the total stays.
        assert_eq!(h.series(0, 1008, 4), [4, 0, 0, 0]);
        assert_eq!(h.series(0, 1008, HISTORY_SECS).iter().sum::<u64>(), 14);
    }

    #[test]
    fn the_ring_wraps_around() {
        let mut h = History::default();
        let start = 10 * HISTORY_SECS as u64;
        h.record(start, t(0));
        for s in 1..=HISTORY_SECS as u64 + 10 {
            h.record(start + s, t(s * (s + 1) / 2)); // second s counts s messages
        }
        let end = start + HISTORY_SECS as u64 + 10;
        let series = h.series(0, end, HISTORY_SECS);
        assert_eq!(series.len(), HISTORY_SECS);
        assert_eq!(series[0], 11, "the oldest kept second is the 11th");
        assert_eq!(series[HISTORY_SECS - 1], HISTORY_SECS as u64 + 10);
        assert!(series.windows(2).all(|w| w[1] == w[0] + 1), "every second in order, none stale");
        // Asking for a window past the end shows the seconds that were overwritten as zero.
        assert_eq!(
            h.series(0, end + 5, 10),
            [end - 4 - start, end - 3 - start, end - 2 - start, end - 1 - start, end - start, 0, 0, 0, 0, 0]
        );
    }

    #[test]
    fn a_gap_longer_than_the_window_leaves_only_its_last_hour() {
        let mut h = History::default();
        h.record(1000, t(0));
        h.record(1001, t(7));
        let gap = 2 * HISTORY_SECS as u64;
        h.record(1001 + gap, t(7 + gap));
        let series = h.series(0, 1001 + gap, HISTORY_SECS);
        assert!(series.iter().all(|&c| c == 1), "one a second, the old second gone");
        assert_eq!(h.series(0, 1001, 1), [0], "second 1001's slot was reused");
    }

    #[test]
    fn counters_that_restart_do_not_go_negative() {
        let mut h = History::default();
        h.record(1000, t(10));
        h.record(1001, t(3));
        assert_eq!(h.series(0, 1001, 1), [0]);
    }
}
