//! Monitoring (opt-in `monitor: { url, flushMs }`): lifecycle records, batched
//! and sent with `navigator.sendBeacon`.
//!
//! - A record is made from an event ([`record`]) by the tab that decided it
//!   (a login here, a refresh here, a timeout noticed here, a logout here or
//!   by the server; refresh failures and errors are only ever reported by one
//!   tab), so one happening is one record, whatever the number of tabs.
//! - A record is one line of words: the time, the tab id, the session id (its
//!   random epoch, shared by every tab and known to no server), the kind, and
//!   the SDK's own codes (reason, origin, failure or error code). Every word is
//!   letters, digits and `_`: no token, user id or URL can be written, and
//!   [`Queue::from_text`] drops any stored line that is not so.
//! - The queue is one `localStorage` key for every tab
//!   ([`super::keys::monitor_key`]); whichever tab flushes (its timer, or its
//!   page being hidden or left) takes the whole queue: one tab sends for all.
//!   It holds at most [`MAX_QUEUED`] records; beyond that the oldest go first
//!   and are counted. A beacon the browser refused is not sent again: its
//!   records are counted as dropped ([`Queue::refused`]).
//!
//! The stored queue and the beacon body are the same text (`docs/CONTRACT.md`):
//! a first line `wasm-session-monitor 1 <dropped>`, then one record a line.

use super::machine::{Event, Origin};
use super::text::{all_bytes, digits};
use super::value::write_u64;
use super::EpochMs;

/// Where and how often records are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorOptions {
    /// The beacon endpoint.
    pub url: String,
    /// How long a record waits in the queue at most (unless a page hides first).
    pub flush_ms: u64,
}

/// Most records the queue holds.
pub const MAX_QUEUED: usize = 64;

/// The first word of a batch, then its version.
const HEADER: &str = "wasm-session-monitor 1 ";

/// The record of `event` if this tab decided it: `at tab sid kind codes…`.
/// `tab` and `sid` are hex ids.
pub fn record(event: &Event, at: EpochMs, tab: &str, sid: &str) -> Option<String> {
    let words: [&str; 3] = match event {
        Event::Started { origin: Origin::Local, .. } => ["started", "", ""],
        Event::Refreshed { origin: Origin::Local, .. } => ["refreshed", "", ""],
        Event::RefreshFailed { code, .. } => ["refreshFailed", code, ""],
        Event::Expired { reason, origin } if *origin != Origin::OtherTab => ["expired", reason.as_str(), ""],
        Event::LoggedOut { reason, origin } if *origin != Origin::OtherTab => {
            ["loggedOut", reason.as_str(), origin.as_str()]
        }
        Event::Error { code } => ["error", code.as_str(), ""],
        _ => return None,
    };
    let mut line = String::with_capacity(112);
    write_u64(&mut line, at);
    let [kind, code, origin] = words;
    for word in &[tab, sid, kind, code, origin] {
        if !word.is_empty() {
            line.push(' ');
            line.push_str(word);
        }
    }
    Some(line)
}

/// The records waiting to be sent, and how many were lost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queue {
    /// Records dropped (queue full, a refused beacon) since the last batch.
    pub dropped: u64,
    /// One record a line, oldest first.
    pub records: Vec<String>,
}

impl Queue {
    /// Reads the stored queue (untrusted): a line that is not words of
    /// letters, digits and `_` is left out.
    pub fn from_text(text: &str) -> Queue {
        let mut lines = text.split('\n');
        // What `str::parse::<u64>` reads (an optional `+`, then digits), without
        // the standard library's number parser in the wasm.
        let count = |first: &str| {
            let count = first.strip_prefix(HEADER)?;
            digits(count.strip_prefix('+').unwrap_or(count))
        };
        let dropped = lines.next().and_then(count).unwrap_or(0);
        let mut queue = Queue { dropped, records: Vec::new() };
        let allowed = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b' ';
        for line in lines {
            if line.len() <= 160 && all_bytes(line, allowed) {
                queue.push(line.to_owned());
            }
        }
        queue
    }

    /// The stored form, which is also the beacon body.
    pub fn to_text(&self) -> String {
        let mut text = String::from(HEADER);
        write_u64(&mut text, self.dropped);
        for record in &self.records {
            text.push('\n');
            text.push_str(record);
        }
        text
    }

    /// Queues `record`: a once-per-session kind only once; when full, the
    /// oldest record is dropped and counted.
    pub fn push(&mut self, record: String) {
        // Kinds a session has once: a second record of one (two tabs noticing
        // the same timeout at once) is not queued again.
        let once = matches!(sid_kind(&record).1, Some("started" | "expired" | "loggedOut"));
        if once && self.records.iter().any(|queued| sid_kind(queued) == sid_kind(&record)) {
            return;
        }
        if self.records.len() >= MAX_QUEUED {
            self.records.remove(0);
            self.dropped = self.dropped.saturating_add(1);
        }
        self.records.push(record);
    }

    /// The browser refused `batch` (taken from the queue): it is not sent
    /// again, only counted.
    pub fn refused(&mut self, batch: &Queue) {
        let lost = batch.dropped.saturating_add(batch.records.len() as u64);
        self.dropped = self.dropped.saturating_add(lost);
    }

    /// Nothing to send.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.dropped == 0
    }
}

/// A record's session id and kind: its third and fourth words.
fn sid_kind(line: &str) -> (Option<&str>, Option<&str>) {
    let mut words = line.split(' ');
    // Two `next` calls rather than `nth(2)`, which is code of its own in the wasm.
    words.next();
    words.next();
    (words.next(), words.next())
}
