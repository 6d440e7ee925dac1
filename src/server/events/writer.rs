//! The thread that appends event lines to the log file and rotates it by size:
//! `events.log` becomes `events.log.1`, `.1` becomes `.2`, ... up to `keep` old files.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the writer waits after a write before looking for more events: at most this
/// much later does a line reach the file.
const BATCH_PAUSE: Duration = Duration::from_millis(20);

/// The running writer; [`Writer::stop`] writes what is queued and closes the file.
pub struct Writer {
    thread: JoinHandle<()>,
    events: async_channel::Receiver<Vec<u8>>,
}

impl Writer {
    /// Opens `file` for appending and starts the thread reading `events`.
    pub fn start(
        file: PathBuf,
        max_bytes: u64,
        keep: usize,
        events: async_channel::Receiver<Vec<u8>>,
    ) -> io::Result<Writer> {
        let out = open(&file)?;
        let size = out.get_ref().metadata()?.len();
        let mut state = State { path: file, out, size, max_bytes, keep };
        let closer = events.clone();
        let thread = std::thread::Builder::new().name("events".into()).spawn(move || {
            while let Ok(first) = events.recv_blocking() {
                // Everything queued goes out in one write. Then a short nap lets the next
                // events gather without waking this thread for each: under load that is one
                // wake-up and one write per BATCH_PAUSE instead of per event.
                let written = std::iter::once(first)
                    .chain(std::iter::from_fn(|| events.try_recv().ok()))
                    .try_for_each(|line| state.write(&line))
                    .and_then(|()| state.out.flush());
                if let Err(e) = written {
                    tracing::error!("writing the event log failed: {e}");
                }
                if !events.is_closed() {
                    std::thread::sleep(BATCH_PAUSE);
                }
            }
        })?;
        Ok(Writer { thread, events: closer })
    }

    /// Closes the channel and waits until every event sent before is written. Closing does not
    /// wait for the senders to go: a task the executor never dropped may still hold one.
    pub fn stop(self) {
        self.events.close();
        let _ = self.thread.join();
    }
}

struct State {
    path: PathBuf,
    out: BufWriter<File>,
    size: u64,
    max_bytes: u64,
    keep: usize,
}

impl State {
    /// Appends `line` and its newline, rotating first when they would pass `max_bytes`.
    fn write(&mut self, line: &[u8]) -> io::Result<()> {
        let len = line.len() as u64 + 1;
        if self.size > 0
            && self.size + len > self.max_bytes
            && let Err(e) = self.rotate()
        {
            // Keep logging into the current file rather than losing events; try again after
            // another `max_bytes`.
            tracing::error!("rotating the event log failed: {e}");
            self.size = 0;
        }
        self.out.write_all(line)?;
        self.out.write_all(b"\n")?;
        self.size += len;
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.out.flush()?;
        let numbered = |n: usize| PathBuf::from(format!("{}.{n}", self.path.display()));
        if self.keep == 0 {
            std::fs::remove_file(&self.path)?;
        } else {
            let _ = std::fs::remove_file(numbered(self.keep));
            for n in (1..self.keep).rev() {
                let _ = std::fs::rename(numbered(n), numbered(n + 1));
            }
            std::fs::rename(&self.path, numbered(1))?;
        }
        self.out = open(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

fn open(path: &Path) -> io::Result<BufWriter<File>> {
    OpenOptions::new().create(true).append(true).open(path).map(BufWriter::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Event, Outcome, json};

    #[test]
    fn rotates_by_size_and_keeps_n_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.log");
        let (tx, rx) = async_channel::unbounded();
        let writer = Writer::start(path.clone(), 600, 2, rx).unwrap();
        for i in 0..12 {
            let outcome = Outcome {
                id: format!("{i}"),
                recipient: "r@x.example".into(),
                domain: "x.example".into(),
                mx: None,
                ip: None,
                tls: None,
                tls_cert: None,
                tls_policy: "none",
                attempt: 1,
                reply: "250 ok".into(),
                status: None,
                classification: "delivered",
                queued_secs: 0,
            };
            tx.send_blocking(json(&Event::Delivery(outcome))).unwrap();
        }
        drop(tx);
        writer.stop();
        let current = std::fs::read_to_string(&path).unwrap();
        assert!(current.len() <= 600 && !current.is_empty());
        assert!(dir.path().join("events.log.1").exists() && dir.path().join("events.log.2").exists());
        assert!(!dir.path().join("events.log.3").exists(), "only two old files are kept");
        let last: serde_json::Value = serde_json::from_str(current.lines().last().unwrap()).unwrap();
        assert_eq!(last["id"], "11", "the newest event is in the current file");
    }
}
