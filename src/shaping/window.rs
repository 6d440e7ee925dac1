//! Counts over a sliding window, kept in ten buckets: replies and the matching ones among them.

/// Buckets a window is cut into.
const BUCKETS: u64 = 10;

/// Replies, and matching replies, seen within the last `width` seconds (to a tenth of it).
#[derive(Debug, Clone)]
pub(crate) struct Window {
    width: u64,
    /// Per bucket: its number (time / bucket width), replies, matches.
    buckets: [(u64, u32, u32); BUCKETS as usize],
}

impl Window {
    /// An empty window `width` seconds wide (at least ten).
    pub(crate) fn new(width: u64) -> Window {
        Window { width: width.max(BUCKETS), buckets: [(0, 0, 0); BUCKETS as usize] }
    }

    /// Counts one reply at `now` (Unix seconds), matching or not.
    pub(crate) fn record(&mut self, now: u64, matched: bool) {
        let number = now / (self.width / BUCKETS);
        let bucket = &mut self.buckets[(number % BUCKETS) as usize];
        if bucket.0 != number {
            *bucket = (number, 0, 0);
        }
        bucket.1 = bucket.1.saturating_add(1);
        bucket.2 = bucket.2.saturating_add(u32::from(matched));
    }

    /// Replies and matches within the window ending at `now`.
    pub(crate) fn counts(&self, now: u64) -> (u32, u32) {
        let newest = now / (self.width / BUCKETS);
        self.buckets
            .iter()
            .filter(|(number, ..)| *number <= newest && newest - number < BUCKETS)
            .fold((0, 0), |(replies, matches), (_, r, m)| (replies.saturating_add(*r), matches.saturating_add(*m)))
    }

    /// Whether nothing in it is newer than a window before `now`.
    pub(crate) fn is_stale(&self, now: u64) -> bool {
        self.counts(now) == (0, 0)
    }

    /// Forgets everything counted.
    pub(crate) fn clear(&mut self) {
        self.buckets = [(0, 0, 0); BUCKETS as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::Window;

    #[test]
    fn counts_fall_out_after_the_window() {
        let mut window = Window::new(100);
        window.record(1000, true);
        window.record(1050, false);
        window.record(1095, true);
        assert_eq!(window.counts(1099), (3, 2));
        assert_eq!(window.counts(1100), (2, 1), "the first bucket left");
        assert_eq!(window.counts(1160), (1, 1));
        assert!(window.is_stale(1200));
        window.record(1200, true);
        window.clear();
        assert_eq!(window.counts(1200), (0, 0));
    }
}
