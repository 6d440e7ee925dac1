//! IP warm-up: a new source address earns a reputation by sending a little, then more, day
//! after day (`[[warmup]] daily`, per site). Each address's step and today's counts per site
//! live here, for every shard behind one mutex, and in RocksDB (`store/warmup.rs`), so that a
//! restart knows what today's allowance has left. An attempt from a pool that warms up takes
//! its address here, at its site: the first of the pool's addresses (its round-robin pick
//! first) whose allowance there is not used up; when none has any left, the mail waits for the
//! next day (UTC), never bounced for it. A day on which a shaping rule throttled an address
//! does not count towards its next step.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};

use store::journal::WarmupOp;
use store::records::WarmupState;
use store::{Store, StoreError, unix_now};

use super::routes::Warming;
use crate::config::outbound::WarmupSchedule;

/// Seconds in a warm-up day.
pub const DAY_SECS: u64 = 86_400;

/// Every warming address's step and use, shared by all shards.
#[derive(Debug, Default)]
pub struct Warmup {
    schedules: HashMap<String, Vec<u64>>,
    table: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    /// The day `used` counts.
    today: u64,
    states: HashMap<String, WarmupState>,
    /// Messages per address and site today.
    used: HashMap<(String, String), u64>,
}

impl Warmup {
    /// The schedules of `[[warmup]]`, with the progress stored in `store`.
    pub fn load(schedules: &[WarmupSchedule], store: &Store) -> Result<Warmup, StoreError> {
        let today = unix_now() / DAY_SECS;
        let states = store.warmup_states()?.into_iter().collect();
        let used = store.warmup_use(today)?.into_iter().map(|(a, s, n)| ((a, s), n)).collect();
        Ok(Warmup {
            schedules: schedules.iter().map(|s| (s.name.clone(), s.daily.clone())).collect(),
            table: Mutex::new(Table { today, states, used }),
        })
    }

    /// Takes one message of today's allowance at `site` for an address of `pool`, `preferred`
    /// first: the address, None when every address has used its allowance there; and the
    /// changes to store (the count, steps moved on a new day).
    pub fn take(&self, pool: &Warming, preferred: Option<IpAddr>, site: &str) -> (Option<IpAddr>, Vec<WarmupOp>) {
        let mut ops = Vec::new();
        let Some(daily) = self.schedules.get(&pool.schedule) else { return (preferred, ops) };
        let today = unix_now() / DAY_SECS;
        let mut table = self.locked();
        table.roll(today);
        let start = preferred.and_then(|p| pool.addresses.iter().position(|a| *a == p)).unwrap_or(0);
        let count = pool.addresses.len();
        for source in (0..count).map(|i| pool.addresses[(start + i) % count]) {
            let address = source.to_string();
            let step = table.state(&address, &pool.schedule, today, &mut ops).step;
            let key = (address.clone(), site.to_string());
            let used = table.used.get(&key).copied().unwrap_or(0);
            if daily.get(step as usize).is_some_and(|&allowed| used >= allowed) {
                continue;
            }
            *table.used.entry(key).or_default() += 1;
            ops.push(WarmupOp::Sent { address, day: today, site: site.to_string() });
            return (Some(source), ops);
        }
        (None, ops)
    }

    /// Notes that a shaping rule throttled `source` today: the day will not count.
    pub fn throttled(&self, source: IpAddr) -> Option<WarmupOp> {
        let today = unix_now() / DAY_SECS;
        let mut table = self.locked();
        let state = table.states.get_mut(&source.to_string())?;
        if state.throttled == Some(today) {
            return None;
        }
        state.throttled = Some(today);
        Some(WarmupOp::Set { address: source.to_string(), state: state.clone() })
    }

    /// Puts `address` on `day` (1: the first) of its schedule from today (`ringmail pool
    /// warmup`): an address that is warmer, or colder, than its progress says.
    pub fn set_day(&self, address: IpAddr, day: u32, schedule: &str) -> Result<WarmupOp, String> {
        if !self.schedules.contains_key(schedule) {
            return Err(format!("no warm-up `{schedule}`"));
        }
        let step = day.checked_sub(1).ok_or("days count from 1")?;
        let state = WarmupState { schedule: schedule.to_string(), step, day: unix_now() / DAY_SECS, throttled: None };
        self.locked().states.insert(address.to_string(), state.clone());
        Ok(WarmupOp::Set { address: address.to_string(), state })
    }

    /// `ringmail pool status`: for every warming address of `pools` (name, schedule,
    /// addresses), its day, today's allowance per site and what it used.
    pub fn status(&self, pools: &[(String, String, Vec<IpAddr>)]) -> String {
        let today = unix_now() / DAY_SECS;
        let mut table = self.locked();
        table.roll(today);
        let mut out = String::new();
        for (pool, schedule, addresses) in pools {
            let daily = self.schedules.get(schedule).map(Vec::as_slice).unwrap_or_default();
            for address in addresses.iter().map(IpAddr::to_string) {
                // Only shown: what is stored changes when the address next sends.
                let state = table.projected(&address, schedule, today);
                let allowance = daily.get(state.step as usize).map_or("unlimited".to_string(), u64::to_string);
                let mut used: Vec<_> = table.used.iter().filter(|((a, _), _)| *a == address).collect();
                used.sort();
                let used: Vec<String> = used.iter().map(|((_, site), n)| format!("{site}={n}")).collect();
                let throttled = if state.throttled == Some(today) { "\tthrottled today" } else { "" };
                let _ = writeln!(
                    out,
                    "{address}\tpool={pool}\twarmup={schedule}\tday={}\tallowance={allowance}/site\tused: {}{throttled}",
                    state.step + 1,
                    if used.is_empty() { "-".to_string() } else { used.join(" ") }
                );
            }
        }
        out
    }

    fn locked(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Table {
    /// Starts counting `today` afresh when the day changed.
    fn roll(&mut self, today: u64) {
        if self.today != today {
            self.today = today;
            self.used.clear();
        }
    }

    /// The state of `address` today, as [`Table::projected`] says; a change is kept and adds
    /// its op.
    fn state(&mut self, address: &str, schedule: &str, today: u64, ops: &mut Vec<WarmupOp>) -> &WarmupState {
        let state = self.projected(address, schedule, today);
        if self.states.get(address) != Some(&state) {
            ops.push(WarmupOp::Set { address: address.to_string(), state: state.clone() });
            self.states.insert(address.to_string(), state);
        }
        &self.states[address]
    }

    /// What the state of `address` is today, without changing anything: a new address starts
    /// on day 1; a known one moves on one step for each day passed that it was not throttled on.
    fn projected(&self, address: &str, schedule: &str, today: u64) -> WarmupState {
        let mut state = self.states.get(address).cloned().unwrap_or(WarmupState {
            schedule: schedule.to_string(),
            step: 0,
            day: today,
            throttled: None,
        });
        if state.day < today {
            let passed = today - state.day;
            let lost = u64::from(state.throttled.is_some_and(|t| t >= state.day && t < today));
            state.step = state.step.saturating_add(u32::try_from(passed - lost).unwrap_or(u32::MAX));
            state.day = today;
        }
        state.schedule = schedule.to_string();
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warming() -> (Warmup, Warming) {
        let schedule = WarmupSchedule { name: "std".into(), daily: vec![2, 4] };
        let warmup =
            Warmup { schedules: [(schedule.name.clone(), schedule.daily.clone())].into(), table: Mutex::default() };
        let addresses = vec!["192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap()];
        (warmup, Warming { schedule: "std".into(), addresses })
    }

    #[test]
    fn a_days_allowance_is_spread_over_the_pool_and_then_used_up() {
        let (warmup, pool) = warming();
        let taken: Vec<_> = (0..5).map(|_| warmup.take(&pool, pool.addresses.first().copied(), "site").0).collect();
        let [a, b] = [pool.addresses[0], pool.addresses[1]];
        assert_eq!(taken, [Some(a), Some(a), Some(b), Some(b), None], "two each, then none");
        assert_eq!(warmup.take(&pool, Some(b), "other site").0, Some(b), "each site has its own allowance");
        let status = warmup.status(&[("p".into(), "std".into(), pool.addresses.clone())]);
        assert!(status.contains("192.0.2.1\tpool=p\twarmup=std\tday=1\tallowance=2/site\tused: site=2"), "{status}");
    }

    #[test]
    fn a_new_day_moves_each_address_on_unless_it_was_throttled() {
        let (warmup, pool) = warming();
        let (a, b) = (pool.addresses[0], pool.addresses[1]);
        let (_, ops) = warmup.take(&pool, Some(a), "site");
        assert!(matches!(&ops[..], [WarmupOp::Set { .. }, WarmupOp::Sent { .. }]), "a new address is stored");
        warmup.take(&pool, Some(b), "site");
        assert!(warmup.throttled(b).is_some());
        assert!(warmup.throttled(b).is_none(), "once a day");
        {
            let mut table = warmup.locked();
            for state in table.states.values_mut() {
                state.day -= 1;
                state.throttled = state.throttled.map(|t| t - 1);
            }
            table.today -= 1;
        }
        let (_, ops) = warmup.take(&pool, Some(a), "site");
        assert!(ops.iter().any(|op| matches!(op, WarmupOp::Set { state, .. } if state.step == 1)), "{ops:?}");
        let table = warmup.locked();
        assert_eq!((table.states[&a.to_string()].step, table.states[&b.to_string()].step), (1, 0));
        assert_eq!(table.used.len(), 1, "yesterday's counts are gone");
    }

    #[test]
    fn the_operator_sets_an_address_day() {
        let (warmup, pool) = warming();
        assert!(warmup.set_day(pool.addresses[0], 0, "std").is_err());
        assert!(warmup.set_day(pool.addresses[0], 3, "nope").is_err());
        warmup.set_day(pool.addresses[0], 3, "std").unwrap();
        let taken: Vec<_> = (0..10).filter_map(|_| warmup.take(&pool, Some(pool.addresses[0]), "s").0).collect();
        assert_eq!(taken.iter().filter(|a| **a == pool.addresses[0]).count(), 10, "past the schedule: no limit");
    }
}
