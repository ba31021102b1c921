//! Which tabs share a session: the default channel name.
//!
//! Tabs share a session when they use the same channel name: the cross-tab
//! channel, the refresh lock and the storage namespace all follow it
//! ([`super::keys`]). One fixed default would let two apps on one origin
//! (`site.com/crm`, `site.com/wiki`) adopt each other's sessions: one app's
//! tokens sent to the other's API and refresh endpoint, one app's 401 or logout
//! ending the other's session. So the default name is derived from the
//! configuration that says whose session it is and where it lives:
//!
//! - every endpoint: its name, method and URL, a page-relative URL resolved
//!   against the page's base URL (two copies of one app under `/crm/` and
//!   `/wiki/` with `refresh: "auth/refresh"` talk to different endpoints);
//! - the token mode (`bearer` or `cookie`);
//! - the static body fields, sorted by name (where `client_id` lives).
//!
//! Left out, so that every tab of one app agrees even when a release tunes
//! them: the timing options, static headers, `apiOrigins`, response field
//! names, timeouts and limits. Without any endpoint (tokens from `start()`,
//! renewed by a `refresh` function) there is nothing to tell two apps apart by:
//! such apps should set `channelName`.
//!
//! An explicit `channelName` always wins: apps that want to share one session
//! across configurations set the same name.
//!
//! The fingerprint is FNV-1a (64 bits) over a length-prefixed encoding of those
//! fields: small, stable across builds and platforms, not cryptographic. It
//! only has to keep honest, differently configured apps apart; code on the
//! origin can read every option anyway.

use super::endpoints::{scheme, Endpoint, TokenMode, Transport};
use super::text::{find_any, rfind_byte};

/// The start of every default channel name (and the name [`super::ShellOptions`]
/// falls back to when built without an options object).
pub const CHANNEL_PREFIX: &str = "wasm-session";

/// The default channel name for `transport` on a page whose base URL
/// (`document.baseURI`) is `base_url`: `wasm-session-` and 16 hex digits of
/// [`fingerprint`].
pub fn default_channel_name(transport: &Transport, base_url: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hash = fingerprint(transport, base_url);
    let mut name = String::with_capacity(CHANNEL_PREFIX.len() + 17);
    name.push_str(CHANNEL_PREFIX);
    name.push('-');
    let mut shift = 64;
    while shift > 0 {
        shift -= 4;
        let digit = (hash >> shift) & 0xf;
        name.push(char::from(HEX.get(digit as usize).copied().unwrap_or(b'0')));
    }
    name
}

/// FNV-1a 64 over the configuration that decides whose session it is (see the
/// module docs for what goes in and why).
pub fn fingerprint(transport: &Transport, base_url: &str) -> u64 {
    let mut hash = Fnv::new();
    hash.field("wasm-session scope v1");
    hash.field(match transport.mode {
        TokenMode::Bearer => "bearer",
        TokenMode::Cookie => "cookie",
    });
    let endpoints = [
        ("refresh", &transport.refresh),
        ("keepalive", &transport.keepalive),
        ("session", &transport.session),
        ("logout", &transport.logout),
        ("revocation", &transport.revocation),
    ];
    for &(name, endpoint) in &endpoints {
        hash.field(name);
        match endpoint {
            Some(Endpoint { url, method }) => {
                hash.field(method);
                hash.field(&resolve(url, base_url));
            }
            None => hash.field("-"),
        }
    }
    // In order of name (names are unique), picked one by one: at most 16
    // fields, and no sort routine in the wasm.
    let mut last: Option<&(String, String)> = None;
    loop {
        let mut next: Option<&(String, String)> = None;
        for field in &transport.body_fields {
            if last.is_none_or(|last| after(field, last)) && next.is_none_or(|next| after(next, field)) {
                next = Some(field);
            }
        }
        let Some(field) = next else { break };
        hash.field(&field.0);
        hash.field(&field.1);
        last = Some(field);
    }
    hash.0
}

/// Whether the body field `a` sorts after `b` (by name, then value).
fn after(a: &(String, String), b: &(String, String)) -> bool {
    match a.0.as_str().cmp(b.0.as_str()) {
        core::cmp::Ordering::Equal => a.1.as_str() > b.1.as_str(),
        order => order == core::cmp::Ordering::Greater,
    }
}

/// `url` as the page would resolve it, for hashing: absolute URLs and
/// absolute paths as written (channels are per origin), the others joined to
/// `base_url` (an absolute URL, or empty when unknown). Dot segments are left
/// alone: one app writes its URLs one way, and this only has to tell different
/// endpoints apart.
pub fn resolve(url: &str, base_url: &str) -> String {
    let cut = |ends: &[u8]| base_url.get(..find_any(base_url, ends).unwrap_or(base_url.len())).unwrap_or("");
    // What of the base goes before `url`, and whether a `/` follows it.
    let first = url.as_bytes().first().copied();
    let (prefix, slash) = if scheme(url).is_some() || (first == Some(b'/') && !url.starts_with("//")) {
        ("", false) // As written.
    } else if url.starts_with("//") {
        (base_url.get(..find_any(base_url, b":").map_or(0, |at| at + 1)).unwrap_or(""), false)
    } else if first == Some(b'#') {
        (cut(b"#"), false)
    } else if first == Some(b'?') {
        (cut(b"?#"), false)
    } else {
        directory(cut(b"?#"))
    };
    let mut resolved = String::with_capacity(prefix.len() + url.len() + 1);
    resolved.push_str(prefix);
    if slash {
        resolved.push('/');
    }
    resolved.push_str(url);
    resolved
}

/// The directory of `base` (an absolute URL without query or fragment):
/// everything up to the last `/` of its path, or `scheme://authority` and a
/// `/` to add when it has no path (the `bool`); nothing without a `://`.
fn directory(base: &str) -> (&str, bool) {
    let Some(after_scheme) =
        (0..base.len()).find(|at| base.as_bytes().get(*at..at + 3) == Some(b"://")).map(|at| at + 3)
    else {
        return ("", false);
    };
    let path_start = base.get(after_scheme..).and_then(|rest| find_any(rest, b"/"));
    match path_start.and_then(|_| rfind_byte(base, b'/')) {
        Some(last) => (base.get(..last + 1).unwrap_or(base), false),
        None => (base, true),
    }
}

/// FNV-1a, 64 bits.
struct Fnv(u64);

impl Fnv {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    fn new() -> Fnv {
        Fnv(Self::OFFSET)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(Self::PRIME);
        }
    }

    /// One field, length first, so that no two lists of fields encode alike.
    fn field(&mut self, text: &str) {
        self.bytes(&(text.len() as u64).to_le_bytes());
        self.bytes(text.as_bytes());
    }
}
