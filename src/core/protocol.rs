//! The cross-tab message format: versioned plain objects, validated on receipt.
//!
//! A message is a [`Value`] (an object of strings and numbers). The shell posts
//! it as a structured-clone object on a `BroadcastChannel`, or as JSON text
//! (the browser's `JSON.stringify`) on the storage fallback and in the stored
//! session, and walks what arrives back into a value within limits.
//!
//! Anything on the channel may be hostile (another script on the origin, an old
//! version of the SDK in a stale tab, a replay), so decoding checks every field
//! and answers a typed [`ProtocolError`], never a panic. The epoch check itself
//! belongs to the state machine, which knows the current epoch.
//!
//! Tokens travel only where they may: the storage fallback is written to disk,
//! so there [`Message::without_tokens`] replaces the three kinds that carry
//! them by token-free notices ([`Message::TokensChanged`],
//! [`Message::SessionExists`]).

use super::identity::{Identity, MAX_USER_LEN};
use super::tokens::{Secret, TokenSet};
use super::value::{Members, Value};

/// How messages reach the other tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// A `BroadcastChannel`: in memory, between the tabs of the origin.
    BroadcastChannel,
    /// The fallback for browsers without it: `localStorage` writes observed
    /// through `storage` events, so whatever it carries reaches the disk.
    Storage,
}

/// The version this build speaks. A message of another version is rejected.
pub const VERSION: u64 = 1;

pub use super::tokens::MAX_TOKEN_LEN;

/// A 128-bit random identifier, written as 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
// Aligned to 8: a byte array's alignment of 1 makes every copy of an epoch or
// tab id (and of the structs holding one) sixteen one-byte loads and stores in
// wasm; aligned, two 8-byte ones (bundler form -131 B).
#[repr(align(8))]
pub struct Id128(pub [u8; 16]);

/// Identifies one tab (one `Session` object) for the life of the page.
pub type TabId = Id128;
/// Identifies one login: every session gets a fresh random epoch, so messages of
/// an earlier session (stale, replayed) are told apart from current ones.
pub type Epoch = Id128;

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Id128 {
    /// The 32-digit lowercase hex form.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(32);
        let digit = |nibble: u8| HEX.get(usize::from(nibble)).copied().map_or('0', char::from);
        for byte in self.0 {
            out.push(digit(byte >> 4));
            out.push(digit(byte & 0x0f));
        }
        out
    }

    /// Parses exactly 32 hex digits (either case).
    pub fn from_hex(text: &str) -> Option<Id128> {
        let digits = text.as_bytes();
        if digits.len() != 32 {
            return None;
        }
        let mut bytes = [0u8; 16];
        for (index, byte) in bytes.iter_mut().enumerate() {
            let (&hi, &lo) = (digits.get(2 * index)?, digits.get(2 * index + 1)?);
            *byte = (hex_value(hi)? << 4) | hex_value(lo)?;
        }
        Some(Id128(bytes))
    }
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

impl core::fmt::Debug for Id128 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Why a session ended. Every exit from `active`/`warning` carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// No activity for `idleTimeoutMs`.
    Idle,
    /// The session reached `absoluteTimeoutMs`.
    Absolute,
    /// The user logged out in this tab.
    User,
    /// The user logged out in another tab.
    OtherTab,
    /// The server no longer honours the session (revoked, force logout).
    Revoked,
    /// The refresh token was refused.
    RefreshFailed,
    /// A session check or refresh answered for another user than the session's.
    UserChanged,
}

impl EndReason {
    /// Every reason.
    pub const ALL: [EndReason; 7] = [
        EndReason::Idle,
        EndReason::Absolute,
        EndReason::User,
        EndReason::OtherTab,
        EndReason::Revoked,
        EndReason::RefreshFailed,
        EndReason::UserChanged,
    ];

    /// The JS name (`"idle"`, `"otherTab"` …).
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Idle => "idle",
            EndReason::Absolute => "absolute",
            EndReason::User => "user",
            EndReason::OtherTab => "otherTab",
            EndReason::Revoked => "revoked",
            EndReason::RefreshFailed => "refreshFailed",
            EndReason::UserChanged => "userChanged",
        }
    }

    /// The reason from its JS name.
    pub fn parse(text: &str) -> Option<EndReason> {
        Some(match text {
            "idle" => EndReason::Idle,
            "absolute" => EndReason::Absolute,
            "user" => EndReason::User,
            "otherTab" => EndReason::OtherTab,
            "revoked" => EndReason::Revoked,
            "refreshFailed" => EndReason::RefreshFailed,
            "userChanged" => EndReason::UserChanged,
            _ => return None,
        })
    }

    /// Timeouts end a session as `expired`; everything else as `loggedOut`.
    pub fn is_expiry(self) -> bool {
        matches!(self, EndReason::Idle | EndReason::Absolute)
    }

    /// The server's answer ended the session (it revoked it, or it now answers
    /// for another user): the server is not told of the end. In cookie mode a
    /// logout after a change of user would end the new user's session.
    pub fn is_servers_word(self) -> bool {
        matches!(self, EndReason::Revoked | EndReason::UserChanged)
    }
}

/// What a tab knows of the live session: enough for another tab to join it
/// without a network call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// When the session began (the absolute timeout counts from here).
    pub started_at: u64,
    /// The latest activity in any tab (the idle timeout counts from here).
    pub last_activity_at: u64,
    /// The current tokens, and the user they are for.
    pub tokens: TokenSet,
    /// How many refreshes produced these tokens; higher wins.
    pub generation: u64,
    /// When these tokens were received.
    pub tokens_received_at: u64,
    /// The server's word on when the session ends at the latest, if a tab
    /// heard one (a keepalive or session answer); the earliest one binds all.
    pub absolute_cap: Option<u64>,
    /// The server's word on when its idle timer runs out; the latest one heard.
    pub idle_cap: Option<u64>,
    /// When a tab last sent a keepalive (none without keepalives).
    pub keepalive_at: Option<u64>,
    /// Remember me: the session outlives the browser, on its own lifetimes.
    pub remember_me: bool,
}

/// One cross-tab message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// The user was active in the sender's tab at `at`.
    Activity {
        /// When.
        at: u64,
    },
    /// The user chose "stay signed in" in the sender's tab at `at`.
    StaySignedIn {
        /// When.
        at: u64,
    },
    /// The sender refreshed the tokens; everyone adopts them.
    Refreshed {
        /// The new tokens.
        tokens: TokenSet,
        /// Their generation (one more than the previous).
        generation: u64,
        /// When the sender received them.
        received_at: u64,
    },
    /// The session ended in the sender's tab.
    Logout {
        /// Why.
        reason: EndReason,
    },
    /// The sender signed in: a new session (epoch in the envelope).
    Login(Snapshot),
    /// A new tab asks for the current session.
    StateRequest,
    /// A live tab answers a [`Message::StateRequest`].
    StateResponse(Snapshot),
    /// [`Message::Refreshed`] where tokens may not travel (the storage
    /// fallback): the sender refreshed, and the tokens stayed with it. Its
    /// refresh token may have rotated, so a receiver forgets its own.
    TokensChanged {
        /// The new generation.
        generation: u64,
        /// When the sender received the tokens.
        received_at: u64,
    },
    /// [`Message::Login`] or [`Message::StateResponse`] where tokens may not
    /// travel: the session exists, with these times; `snapshot.tokens` is empty.
    SessionExists {
        /// The sender signed in (a [`Message::Login`]); otherwise it answers a
        /// state request.
        login: bool,
        /// The session's times and generation, without tokens.
        snapshot: Snapshot,
        /// The sender holds a refresh token in memory, which the receiver
        /// cannot get: it cannot take part in the session's refreshes.
        refresh_token_held: bool,
    },
}

impl Message {
    fn kind(&self) -> &'static str {
        match self {
            Message::Activity { .. } => "activity",
            Message::StaySignedIn { .. } => "staySignedIn",
            Message::Refreshed { .. } => "refreshed",
            Message::Logout { .. } => "logout",
            Message::Login(_) => "login",
            Message::StateRequest => "stateRequest",
            Message::StateResponse(_) => "stateResponse",
            Message::TokensChanged { .. } => "tokensChanged",
            Message::SessionExists { .. } => "sessionExists",
        }
    }

    /// This message as it may travel where tokens may not (the storage
    /// fallback): the kinds that carry tokens become token-free notices, the
    /// others are unchanged.
    pub fn without_tokens(self) -> Message {
        let login = matches!(self, Message::Login(_));
        match self {
            Message::Refreshed { generation, received_at, .. } => Message::TokensChanged { generation, received_at },
            Message::Login(mut snapshot) | Message::StateResponse(mut snapshot) => {
                let refresh_token_held = snapshot.tokens.refresh_token.is_some();
                strip_tokens(&mut snapshot.tokens);
                Message::SessionExists { login, snapshot, refresh_token_held }
            }
            other => other,
        }
    }
}

/// Leaves a snapshot's tokens with no token: the user they are for is kept (no
/// secret; a tab that joins from a notice must know whom the session is for).
/// In place: the snapshot is not moved in and out. Every field is named, so a
/// field added to `TokenSet` cannot go out unstripped without a compile error.
fn strip_tokens(tokens: &mut TokenSet) {
    let TokenSet {
        access_token,
        refresh_token,
        expires_at,
        identity: _,
        remember_me,
        idle_deadline,
        absolute_deadline,
    } = tokens;
    *access_token = None;
    *refresh_token = None;
    *expires_at = None;
    *remember_me = false;
    *idle_deadline = None;
    *absolute_deadline = None;
}

/// A message with its sender and session epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The sending tab.
    pub from: TabId,
    /// The session the message belongs to; `None` only for a state request from
    /// a tab that has no session yet.
    pub epoch: Option<Epoch>,
    /// The message.
    pub message: Message,
}

/// Why a message was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// Not plain data within the limits (the shell's walker refused it), or
    /// text that is not JSON (the storage fallback, the stored session).
    Malformed,
    /// A version this build does not speak.
    UnknownVersion,
    /// A message kind this build does not know.
    UnknownKind,
    /// A field is missing or has the wrong type or range; names the field.
    BadField(&'static str),
    /// The message belongs to another session (stale or replayed).
    WrongEpoch,
    /// A word of a session this tab has none of: it has not joined one yet
    /// (it is still asking the tabs, or the page never signed in).
    NotJoined,
    /// The message claims to come from this tab.
    FromSelf,
    /// A message of a session that already ended here: a login or snapshot
    /// replayed, or a word from a tab that had not yet heard the logout.
    EndedEpoch,
    /// A session snapshot whose deadlines have already passed.
    StaleSnapshot,
}

impl ProtocolError {
    /// Whether the rejection is what tabs send each other in the normal
    /// course, not damage worth an `error` event: a word of a session that is
    /// over (the tail of a logout or timeout racing other tabs' messages, or
    /// a replay, which changes nothing either), or of a session a tab with
    /// none has not joined yet (a joining tab hears the session's refresh
    /// before its answer).
    pub fn is_expected(&self) -> bool {
        matches!(self, ProtocolError::EndedEpoch | ProtocolError::StaleSnapshot | ProtocolError::NotJoined)
    }

    /// Stable code for debug events.
    pub fn code(&self) -> &'static str {
        match self {
            ProtocolError::Malformed => "malformed_message",
            ProtocolError::UnknownVersion => "unknown_version",
            ProtocolError::UnknownKind => "unknown_kind",
            ProtocolError::BadField(_) => "bad_field",
            ProtocolError::WrongEpoch => "wrong_epoch",
            ProtocolError::NotJoined => "not_joined",
            ProtocolError::FromSelf => "from_self",
            ProtocolError::EndedEpoch => "ended_epoch",
            ProtocolError::StaleSnapshot => "stale_snapshot",
        }
    }
}

/// The tokens and their expiry (unless `secrets` is false), then the user
/// they are for.
fn write_tokens(m: &mut Members, tokens: &TokenSet, secrets: bool) {
    if secrets {
        if let Some(token) = &tokens.access_token {
            m.text("access", token.expose());
        }
        if let Some(token) = &tokens.refresh_token {
            m.text("refresh", token.expose());
        }
        if let Some(at) = tokens.expires_at {
            m.number("expiresAt", at);
        }
    }
    if let Some(user) = &tokens.identity.user {
        m.text("user", user);
    }
    if let Some(sub) = &tokens.identity.sub {
        m.text("sub", sub);
    }
}

/// The session's times, then its tokens ([`write_tokens`]).
fn write_snapshot(m: &mut Members, snapshot: &Snapshot, secrets: bool) {
    m.number("startedAt", snapshot.started_at);
    m.number("lastActivityAt", snapshot.last_activity_at);
    m.number("generation", snapshot.generation);
    m.number("receivedAt", snapshot.tokens_received_at);
    for (key, at) in &[
        ("absoluteCap", snapshot.absolute_cap),
        ("idleCap", snapshot.idle_cap),
        ("keepaliveAt", snapshot.keepalive_at),
    ] {
        if let Some(at) = *at {
            m.number(key, at);
        }
    }
    if snapshot.remember_me {
        m.flag("rememberMe", true);
    }
    write_tokens(m, &snapshot.tokens, secrets);
}

/// Encodes an envelope as a plain object (`{ v, kind, from, epoch?, … }`).
pub fn encode(envelope: &Envelope) -> Value {
    let mut m = Members(Vec::with_capacity(10));
    m.number("v", VERSION);
    m.text("kind", envelope.message.kind());
    m.value("from", Value::String(envelope.from.to_hex()));
    if let Some(epoch) = envelope.epoch {
        m.value("epoch", Value::String(epoch.to_hex()));
    }
    match &envelope.message {
        Message::Activity { at } | Message::StaySignedIn { at } => m.number("at", *at),
        Message::Refreshed { tokens, generation, received_at } => {
            m.number("generation", *generation);
            m.number("receivedAt", *received_at);
            write_tokens(&mut m, tokens, true);
        }
        Message::Logout { reason } => m.text("reason", reason.as_str()),
        Message::Login(snapshot) | Message::StateResponse(snapshot) => write_snapshot(&mut m, snapshot, true),
        Message::StateRequest => {}
        Message::TokensChanged { generation, received_at } => {
            m.number("generation", *generation);
            m.number("receivedAt", *received_at);
        }
        Message::SessionExists { login, snapshot, refresh_token_held } => {
            m.flag("login", *login);
            write_snapshot(&mut m, snapshot, false);
            m.flag("refreshHeld", *refresh_token_held);
        }
    }
    m.done()
}

/// Reads the fields of one message and remembers the first bad one: a bad
/// field reads as a placeholder, and [`decode`] answers
/// [`ProtocolError::BadField`] naming the first (fields are read in a fixed
/// order). One small call per field, instead of an error to pass up from each.
struct Fields<'a> {
    object: &'a Value,
    bad: Option<&'static str>,
}

impl<'a> Fields<'a> {
    #[inline(never)]
    fn fail(&mut self, name: &'static str) {
        if self.bad.is_none() {
            self.bad = Some(name);
        }
    }

    /// A time or counter that may be absent.
    fn optional_time(&mut self, name: &'static str) -> Option<u64> {
        let value = self.object.get(name)?;
        let time = value.as_u64();
        if time.is_none() {
            self.fail(name);
        }
        time
    }

    fn time(&mut self, name: &'static str) -> u64 {
        if self.object.get(name).is_none() {
            self.fail(name);
        }
        self.optional_time(name).unwrap_or(0)
    }

    /// A flag, which may be absent (`false`) unless `required`: one lookup.
    fn flag(&mut self, name: &'static str, required: bool) -> bool {
        let value = self.object.get(name);
        let flag = value.and_then(Value::as_bool);
        if flag.is_none() && (required || value.is_some()) {
            self.fail(name);
        }
        flag.unwrap_or(false)
    }

    /// An id, which may be absent unless `required`: one lookup.
    fn id(&mut self, name: &'static str, required: bool) -> Option<Id128> {
        let value = self.object.get(name);
        let id = value.and_then(Value::as_str).and_then(Id128::from_hex);
        if id.is_none() && (required || value.is_some()) {
            self.fail(name);
        }
        id
    }

    /// A text of 1 to `max_len` bytes that may be absent.
    fn optional_text(&mut self, name: &'static str, max_len: usize) -> Option<&'a str> {
        let value = self.object.get(name)?;
        let text = value.as_str().filter(|text| !text.is_empty() && text.len() <= max_len);
        if text.is_none() {
            self.fail(name);
        }
        text
    }

    fn tokens(&mut self) -> TokenSet {
        let expires_at = self.optional_time("expiresAt");
        TokenSet {
            access_token: self.optional_text("access", MAX_TOKEN_LEN).map(Secret::new),
            refresh_token: self.optional_text("refresh", MAX_TOKEN_LEN).map(Secret::new),
            expires_at,
            identity: Identity {
                user: self.optional_text("user", MAX_USER_LEN).map(str::to_owned),
                sub: self.optional_text("sub", MAX_USER_LEN).map(str::to_owned),
            },
            remember_me: false,
            idle_deadline: None,
            absolute_deadline: None,
        }
    }

    fn snapshot(&mut self) -> Snapshot {
        Snapshot {
            started_at: self.time("startedAt"),
            last_activity_at: self.time("lastActivityAt"),
            generation: self.time("generation"),
            tokens_received_at: self.time("receivedAt"),
            absolute_cap: self.optional_time("absoluteCap"),
            idle_cap: self.optional_time("idleCap"),
            keepalive_at: self.optional_time("keepaliveAt"),
            remember_me: self.flag("rememberMe", false),
            tokens: self.tokens(),
        }
    }

    fn check(&self) -> Result<(), ProtocolError> {
        match self.bad {
            Some(name) => Err(ProtocolError::BadField(name)),
            None => Ok(()),
        }
    }
}

/// Decodes and validates a message. The epoch is required for every kind but
/// `stateRequest`; the token-free notices carry no tokens (any token field in
/// them is ignored).
pub fn decode(object: &Value) -> Result<Envelope, ProtocolError> {
    if object.as_object().is_none() {
        return Err(ProtocolError::BadField("message"));
    }
    if object.get("v").ok_or(ProtocolError::BadField("v"))?.as_u64() != Some(VERSION) {
        return Err(ProtocolError::UnknownVersion);
    }
    let kind = object.get("kind").and_then(Value::as_str).ok_or(ProtocolError::BadField("kind"))?;
    let mut f = Fields { object, bad: None };
    let from = f.id("from", true).unwrap_or_default();
    let epoch = f.id("epoch", false);
    f.check()?;
    let message = match kind {
        "activity" => Message::Activity { at: f.time("at") },
        "staySignedIn" => Message::StaySignedIn { at: f.time("at") },
        "refreshed" => Message::Refreshed {
            tokens: f.tokens(),
            generation: f.time("generation"),
            received_at: f.time("receivedAt"),
        },
        "logout" => {
            let reason = object.get("reason").and_then(Value::as_str).and_then(EndReason::parse);
            if reason.is_none() {
                f.fail("reason");
            }
            Message::Logout { reason: reason.unwrap_or(EndReason::User) }
        }
        "login" => Message::Login(f.snapshot()),
        "stateRequest" => Message::StateRequest,
        "stateResponse" => Message::StateResponse(f.snapshot()),
        "tokensChanged" => {
            Message::TokensChanged { generation: f.time("generation"), received_at: f.time("receivedAt") }
        }
        "sessionExists" => {
            let login = f.flag("login", true);
            let mut snapshot = f.snapshot();
            strip_tokens(&mut snapshot.tokens);
            Message::SessionExists { login, snapshot, refresh_token_held: f.flag("refreshHeld", true) }
        }
        _ => return Err(ProtocolError::UnknownKind),
    };
    f.check()?;
    if epoch.is_none() && !matches!(message, Message::StateRequest) {
        return Err(ProtocolError::BadField("epoch"));
    }
    Ok(Envelope { from, epoch, message })
}
