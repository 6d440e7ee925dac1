//! Deferral and bounce rates per destination domain over the last hour, from the event log.

use std::collections::{BTreeMap, HashMap};
use std::sync::{LazyLock, Mutex};

use super::history::HISTORY_SECS;
use store::{Store, StoreError};

/// Outcomes per destination domain and minute over the last hour, read from the durable event
/// log: the first read goes back an hour from the newest event, later ones go on from the
/// last event read. So the rates survive a restart and need nothing counted beside the log.
#[derive(Default)]
pub struct Rates {
    /// The sequence number of the newest event read (None: nothing read yet).
    cursor: Option<u64>,
    /// Per unix minute: per domain, recipients delivered, deferred and bounced (or expired).
    minutes: BTreeMap<u64, HashMap<String, [u64; 3]>>,
}

/// Events one [`Rates::update`] reads at most (the next read goes on from there).
const RATES_READ: usize = 100_000;
/// Domains one minute of [`Rates`] counts at most (the rest are not counted).
const RATES_DOMAINS: usize = 10_000;

/// The outcome events, for [`Rates`]: their time, kind and destination domain.
#[derive(serde::Deserialize)]
struct OutcomeLine {
    time: u64,
    event: String,
    #[serde(default)]
    domain: Option<String>,
}

/// The rates every shard reads, updated by the reader.
pub static RATES: LazyLock<Mutex<Rates>> = LazyLock::new(Mutex::default);

impl Rates {
    /// Counts the event `line` if it is an outcome of the last hour before `now`.
    pub fn add(&mut self, now: u64, line: &[u8]) {
        let Ok(OutcomeLine { time, event, domain: Some(domain) }) = serde_json::from_slice(line) else {
            return;
        };
        let i = match event.as_str() {
            "delivery" => 0,
            "deferral" => 1,
            "bounce" | "expiry" => 2,
            _ => return,
        };
        if time.saturating_add(HISTORY_SECS as u64) <= now {
            return;
        }
        let minute = self.minutes.entry(time / 60).or_default();
        if minute.len() < RATES_DOMAINS || minute.contains_key(&domain) {
            minute.entry(domain.to_ascii_lowercase()).or_default()[i] += 1;
        }
    }

    /// Reads the events written since the last read (the last hour's, the first time).
    pub fn update(&mut self, store: &Store, now: u64) -> Result<(), StoreError> {
        let mut read = 0;
        match self.cursor {
            None => {
                let Some((_, newest)) = store.event_bounds()? else {
                    self.cursor = Some(0);
                    return Ok(());
                };
                self.cursor = Some(newest);
                let mut before = newest.saturating_add(1);
                'back: while read < RATES_READ {
                    let page = store.events_before(before, 1000)?;
                    if page.is_empty() {
                        break;
                    }
                    for (seq, line) in page {
                        before = seq;
                        read += 1;
                        if serde_json::from_slice::<OutcomeLine>(&line)
                            .is_ok_and(|l| l.time.saturating_add(HISTORY_SECS as u64) <= now)
                        {
                            break 'back;
                        }
                        self.add(now, &line);
                    }
                }
            }
            Some(mut cursor) => {
                while read < RATES_READ {
                    let page = store.events_after(cursor, 1000)?;
                    if page.is_empty() {
                        break;
                    }
                    for (seq, line) in page {
                        cursor = seq;
                        read += 1;
                        self.add(now, &line);
                    }
                }
                self.cursor = Some(cursor);
            }
        }
        Ok(())
    }

    /// Per domain, its outcomes over the hour before `now`: delivered, deferred, bounced.
    pub fn by_domain(&mut self, now: u64) -> BTreeMap<String, [u64; 3]> {
        let oldest = now.saturating_sub(HISTORY_SECS as u64) / 60;
        self.minutes.retain(|minute, _| *minute >= oldest);
        let mut out: BTreeMap<String, [u64; 3]> = BTreeMap::new();
        for (domain, counts) in self.minutes.values().flatten() {
            let sum = out.entry(domain.clone()).or_default();
            sum.iter_mut().zip(counts).for_each(|(s, c)| *s += c);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outcome(time: u64, event: &str, domain: &str) -> Vec<u8> {
        json!({ "time": time, "event": event, "domain": domain, "recipient": "x@y" }).to_string().into_bytes()
    }

    #[test]
    fn rates_count_the_last_hours_outcomes_per_domain() {
        let now = 100_000;
        let mut r = Rates::default();
        r.add(now, &outcome(now - 10, "delivery", "a.test"));
        r.add(now, &outcome(now - 10, "deferral", "A.test"));
        r.add(now, &outcome(now - 70, "bounce", "a.test"));
        r.add(now, &outcome(now - 70, "expiry", "b.test"));
        r.add(now, &outcome(now - 10, "reception", "a.test"));
        r.add(now, &outcome(now - 4000, "delivery", "a.test"));
        r.add(now, b"not json");
        let rates = r.by_domain(now);
        assert_eq!(rates.get("a.test"), Some(&[1, 1, 1]));
        assert_eq!(rates.get("b.test"), Some(&[0, 0, 1]), "an expiry is a bounce");
        // An hour later the minutes have gone.
        assert!(r.by_domain(now + 3700).is_empty());
        assert!(r.minutes.is_empty());
    }
}
