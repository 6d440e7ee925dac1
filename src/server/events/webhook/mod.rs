//! Webhooks: the store's event log POSTed to HTTP endpoints, at least once.
//!
//! Each `[[webhook]]` has a thread of its own, so a slow or dead endpoint holds up nothing but
//! itself. It reads up to `batch_size` events of its kinds after its cursor, POSTs them as a
//! JSON array signed with HMAC-SHA256 (`X-Ringmail-Signature`), and on a `2xx` answer commits
//! its cursor through the journal, so that after a crash it goes on from the last batch the
//! endpoint accepted (which may send that batch's successors twice, never skip one). Any other
//! answer, or none within `timeout_secs`, is tried again after a back-off (1 s, doubling, at
//! most 60 s) with the same events. A webhook seen for the first time starts at the newest
//! event. Retention ([`super::retention`]) keeps every event a webhook has not sent, up to
//! `[events] max_backlog`.

mod batch;

use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ring::hmac;
use store::journal::{EventsOp, JournalOp};
use store::{JournalHandle, Store};

use crate::config::Webhook;
use crate::tls::https_agent;

/// How long a webhook that has sent everything waits before it looks again.
const IDLE_POLL: Duration = Duration::from_millis(200);
/// The wait before the first retry of a failed POST; it doubles with each failure.
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// The longest wait between retries.
const MAX_RETRY: Duration = Duration::from_secs(60);
/// How long stopping waits for a thread in the middle of a POST before leaving it behind.
const STOP_WAIT: Duration = Duration::from_secs(2);
/// Most octets of an answer read (and then ignored), so that its connection can be reused.
const MAX_ANSWER: u64 = 64 * 1024;

/// The running webhook threads.
pub struct Webhooks {
    stops: Vec<mpsc::Sender<()>>,
    threads: Vec<JoinHandle<()>>,
}

impl Webhooks {
    /// Gives each webhook seen for the first time a cursor at the newest event, then starts a
    /// thread for each.
    pub fn start(store: &Store, journal: &JournalHandle, webhooks: &[Webhook]) -> anyhow::Result<Webhooks> {
        let mut running = Webhooks { stops: Vec::new(), threads: Vec::new() };
        if webhooks.is_empty() {
            return Ok(running);
        }
        let roots = https_agent::roots(Path::new(""));
        for webhook in webhooks {
            let name = webhook.cursor_name().to_string();
            let cursor = match store.event_cursor(&name)? {
                Some(cursor) => cursor,
                None => {
                    let newest = store.event_bounds()?.map_or(0, |(_, last)| last);
                    journal.submit_blocking(JournalOp::Events(EventsOp::Cursor { name, seq: newest }))?;
                    newest
                }
            };
            let (stop, stopped) = mpsc::channel();
            let endpoint = Endpoint {
                key: hmac::Key::new(hmac::HMAC_SHA256, webhook.secret.as_bytes()),
                agent: https_agent::agent(Arc::clone(&roots), Duration::from_secs(webhook.timeout_secs.get())),
                webhook: webhook.clone(),
                store: store.clone(),
                journal: journal.clone(),
                stopped,
            };
            let thread = std::thread::Builder::new().name("webhook".into()).spawn(move || endpoint.run(cursor))?;
            running.stops.push(stop);
            running.threads.push(thread);
        }
        Ok(running)
    }

    /// Stops the threads: each finishes what it is doing but for a POST, which it is given
    /// [`STOP_WAIT`] to finish (an unfinished one is sent again after the restart).
    pub fn stop(self) {
        let Webhooks { stops, threads } = self;
        drop(stops);
        let deadline = Instant::now() + STOP_WAIT;
        while threads.iter().any(|t| !t.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        for thread in threads {
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

/// One webhook's thread.
struct Endpoint {
    webhook: Webhook,
    key: hmac::Key,
    agent: ureq::Agent,
    store: Store,
    journal: JournalHandle,
    /// Disconnected when the server stops.
    stopped: mpsc::Receiver<()>,
}

impl Endpoint {
    /// Sends batch after batch from `cursor` on until the server stops.
    fn run(self, mut cursor: u64) {
        let name = self.webhook.cursor_name().to_string();
        let size = self.webhook.batch_size.get();
        loop {
            let batch = match batch::collect(&self.store, cursor, size, &self.webhook.events) {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::error!(webhook = %name, "reading the event log failed: {e}");
                    if self.wait(MAX_RETRY) {
                        return;
                    }
                    continue;
                }
            };
            let Some(last) = batch.last else {
                if self.wait(IDLE_POLL) {
                    return;
                }
                continue;
            };
            if !batch.events.is_empty() && !self.deliver(&batch::body(&batch.events)) {
                return;
            }
            let moved = JournalOp::Events(EventsOp::Cursor { name: name.clone(), seq: last });
            if let Err(e) = self.journal.submit_blocking(moved) {
                tracing::warn!(webhook = %name, "recording what was sent failed (it may be sent again): {e}");
            }
            cursor = last;
        }
    }

    /// POSTs `body` until the endpoint accepts it; false when the server stops first.
    fn deliver(&self, body: &[u8]) -> bool {
        let mut retry = FIRST_RETRY;
        loop {
            match self.post(body) {
                Ok(()) => return true,
                Err(e) => {
                    let url = self.webhook.url.as_str();
                    tracing::warn!(%url, retry_secs = retry.as_secs(), "webhook failed: {e}");
                }
            }
            if self.wait(retry) {
                return false;
            }
            retry = (retry * 2).min(MAX_RETRY);
        }
    }

    /// One POST of `body`; `Ok` on a `2xx` answer.
    fn post(&self, body: &[u8]) -> Result<(), String> {
        let response = self
            .agent
            .post(self.webhook.url.as_str())
            .header("Content-Type", "application/json")
            .header("X-Ringmail-Signature", batch::signature(&self.key, body))
            .send(body)
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let _ = response.into_body().with_config().limit(MAX_ANSWER).read_to_vec();
        match status.is_success() {
            true => Ok(()),
            false => Err(format!("answered {status}")),
        }
    }

    /// Waits `pause`; true when the server is stopping.
    fn wait(&self, pause: Duration) -> bool {
        !matches!(self.stopped.recv_timeout(pause), Err(RecvTimeoutError::Timeout))
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::Mutex;

    use super::*;
    use crate::config::Config;
    use store::Journal;

    /// The signature header and the body of each request, in order.
    type Requests = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

    /// An HTTP server that answers `500` to the first request and `200` to the others, and
    /// keeps each request's signature header and body.
    fn endpoint() -> (String, Requests) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let seen = Requests::default();
        let record = Arc::clone(&seen);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let mut reader = BufReader::new(conn.unwrap());
                let (mut length, mut signature) = (0, String::new());
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    let lower = line.to_ascii_lowercase();
                    if let Some(value) = lower.strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap();
                    } else if let Some(value) = lower.strip_prefix("x-ringmail-signature:") {
                        signature = value.trim().to_string();
                    } else if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let mut seen = record.lock().unwrap();
                let status = if seen.is_empty() { "500 Internal Server Error" } else { "200 OK" };
                seen.push((signature, body));
                let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                reader.get_mut().write_all(answer.as_bytes()).unwrap();
            }
        });
        (url, seen)
    }

    #[test]
    fn a_failed_post_is_retried_with_the_same_signed_batch_and_the_cursor_moves_after_a_2xx() {
        let (url, seen) = endpoint();
        let text = format!("[[webhook]]\nurl = \"{url}\"\nsecret = \"k\"\nbatch_size = 2\nevents = [\"bounce\"]\n");
        let config = Config::from_toml(&text, "t.toml").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let journal = Journal::start(store.clone());
        let webhooks = Webhooks::start(&store, &journal.handle(), &config.webhook).unwrap();
        let events = ["bounce", "delivery", "bounce", "bounce"]
            .iter()
            .map(|kind| format!("{{\"time\":1,\"event\":\"{kind}\"}}").into_bytes())
            .collect();
        let op = JournalOp::Events(EventsOp::Cursor { name: "other".into(), seq: 0 });
        journal.handle().submit_blocking_with_events(op, events).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while store.event_cursor(&url).unwrap() != Some(4) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        webhooks.stop();
        journal.stop();
        assert_eq!(store.event_cursor(&url).unwrap(), Some(4));
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3, "a refused batch, the same again, then the rest");
        assert_eq!(seen[0], seen[1]);
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"k");
        for (signature, body) in seen.iter() {
            assert_eq!(*signature, batch::signature(&key, body));
        }
        let seqs = |body: &[u8]| -> Vec<u64> {
            let value: serde_json::Value = serde_json::from_slice(body).unwrap();
            value.as_array().unwrap().iter().map(|e| e["seq"].as_u64().unwrap()).collect()
        };
        assert_eq!((seqs(&seen[1].1), seqs(&seen[2].1)), (vec![1, 3], vec![4]), "the delivery is skipped");
    }
}
