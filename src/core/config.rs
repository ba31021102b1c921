//! Validated configuration.
//!
//! Configuration arrives from JavaScript, so every number is an `f64` that may be
//! negative, fractional, `NaN` or infinite. [`ConfigInput`] takes it as it comes
//! (the options reader, `super::options`, fills it in); [`Config::from_input`]
//! turns it into whole milliseconds or a [`ConfigError`] naming the field, and
//! [`ShellOptions::from_input`] checks the shell's part. Nothing here can panic.

use std::borrow::Cow;

/// Durations longer than this (about 10 years) are rejected: they are surely a
/// unit mistake, and keeping every deadline far below `u64::MAX` means
/// `timestamp + duration` never overflows.
pub const MAX_DURATION_MS: u64 = 10 * 365 * 24 * 3_600_000;

/// Configuration as the app writes it: every field optional, numbers unchecked.
///
/// Field names are the camelCase names of the JS options object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigInput {
    /// Idle time after which the session ends. Default 15 min.
    pub idle_timeout_ms: Option<f64>,
    /// How long before the idle expiry the warning fires. Default 60 s, or half
    /// the idle timeout when that is shorter.
    pub warn_before_ms: Option<f64>,
    /// Hard cap on the session's age; activity never extends it. Default 8 h.
    pub absolute_timeout_ms: Option<f64>,
    /// How long before the absolute expiry its warning fires. Default: `warnBeforeMs`.
    pub absolute_warn_before_ms: Option<f64>,
    /// Period of `countdown` events during a warning. Default 1 s.
    pub countdown_interval_ms: Option<f64>,
    /// Local activity is broadcast to other tabs at most this often. Default 5 s.
    pub activity_broadcast_interval_ms: Option<f64>,
    /// Refresh this long before the access token expires. Default 60 s (at most
    /// half the token's lifetime).
    pub refresh_before_ms: Option<f64>,
    /// Up to this much random extra lead, so tabs and clients spread out. Default 5 s.
    pub refresh_jitter_ms: Option<f64>,
    /// First retry delay after a retryable refresh failure. Default 1 s.
    pub retry_initial_ms: Option<f64>,
    /// Cap on the retry delay. Default 60 s.
    pub retry_max_ms: Option<f64>,
    /// Cookie mode: send a keepalive at most this often while the user is
    /// active (never while idle). Absent: no keepalive.
    pub keepalive_every_ms: Option<f64>,
    /// A remembered session's absolute lifetime (instead of
    /// `absoluteTimeoutMs`). Default 30 days.
    pub remember_me_absolute_ms: Option<f64>,
    /// A remembered session's idle timeout (instead of `idleTimeoutMs`).
    /// Absent: none, only the absolute lifetime (and the server's idle
    /// deadline, if it sends one) ends it.
    pub remember_me_idle_timeout_ms: Option<f64>,
    /// Name of the cross-tab channel; sessions with the same name share state
    /// (and the refresh lock and storage namespace). Default: derived from the
    /// endpoints, mode and body fields (`super::scope`), so that differently
    /// configured apps on one origin never share a session.
    pub channel_name: Option<String>,
    /// DOM events that count as activity. Default: pointerdown, pointermove,
    /// keydown, wheel, touchstart ([`DEFAULT_ACTIVITY_EVENTS`]; not `scroll`).
    pub activity_events: Option<Vec<String>>,
    /// Activity events closer together than this are dropped in the shell. Default 1 s.
    pub activity_throttle_ms: Option<f64>,
    /// Where the live session (and, in bearer mode, its tokens) is kept for a
    /// reload to resume: `"memory"` (default: nowhere), `"session"`
    /// (sessionStorage) or `"local"` (localStorage).
    pub storage: Option<String>,
    /// After an idle or absolute expiry, keep the identity and the app's
    /// restore state this long (`core::reconstitute`). Absent: nothing is kept.
    pub reconstitute_for_ms: Option<f64>,
    /// `monitor.url`: where lifecycle records are sent (`core::monitor`).
    pub monitor_url: Option<String>,
    /// `monitor.flushMs`: how often queued records are sent. Default 10 s.
    pub monitor_flush_ms: Option<f64>,
}

/// Configuration the core runs on: whole milliseconds, every rule checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// See [`ConfigInput::idle_timeout_ms`].
    pub idle_timeout_ms: u64,
    /// See [`ConfigInput::warn_before_ms`].
    pub warn_before_ms: u64,
    /// See [`ConfigInput::absolute_timeout_ms`].
    pub absolute_timeout_ms: u64,
    /// See [`ConfigInput::absolute_warn_before_ms`].
    pub absolute_warn_before_ms: u64,
    /// See [`ConfigInput::countdown_interval_ms`].
    pub countdown_interval_ms: u64,
    /// See [`ConfigInput::activity_broadcast_interval_ms`].
    pub activity_broadcast_interval_ms: u64,
    /// See [`ConfigInput::refresh_before_ms`].
    pub refresh_before_ms: u64,
    /// See [`ConfigInput::refresh_jitter_ms`].
    pub refresh_jitter_ms: u64,
    /// See [`ConfigInput::retry_initial_ms`].
    pub retry_initial_ms: u64,
    /// See [`ConfigInput::retry_max_ms`].
    pub retry_max_ms: u64,
    /// See [`ConfigInput::keepalive_every_ms`].
    pub keepalive_every_ms: Option<u64>,
    /// See [`ConfigInput::reconstitute_for_ms`].
    pub reconstitute_for_ms: Option<u64>,
    /// See [`ConfigInput::remember_me_absolute_ms`].
    pub remember_me_absolute_ms: u64,
    /// See [`ConfigInput::remember_me_idle_timeout_ms`].
    pub remember_me_idle_timeout_ms: Option<u64>,
}

impl Config {
    /// The longest a session may last: the remembered lifetime or the
    /// absolute timeout, whichever is longer. A tombstone lives no longer.
    pub fn longest_lifetime_ms(&self) -> u64 {
        self.absolute_timeout_ms.max(self.remember_me_absolute_ms)
    }
}

/// What is wrong with a configuration value.
///
/// The kinds fall into groups: the value's type or key (`WrongType`,
/// `UnknownOption`, `Duplicate`, `UnknownChoice`, `TooMany`), a number out of
/// range (`NotFinite` … `NotErrorStatus`), a rule between two numbers
/// (`WarningNotBeforeDeadline` …), and text that is not what its field holds:
/// a URL, an origin, a header name or value, a cookie name, a name, a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// `NaN` or infinite.
    NotFinite,
    /// Zero or negative where a positive duration is required.
    NotPositive,
    /// Negative where zero is allowed.
    Negative,
    /// A duration above [`MAX_DURATION_MS`].
    TooLarge,
    /// `requestTimeoutMs` above 10 minutes.
    TimeoutTooLong,
    /// `maxBodyBytes` above 4 MiB.
    BodyLimitTooLarge,
    /// A `revokedStatuses` entry that is not a whole status from 400 to 599.
    NotErrorStatus,
    /// The warning would start before the session does (`warnBeforeMs >= idleTimeoutMs`).
    WarningNotBeforeDeadline,
    /// `absoluteTimeoutMs` is shorter than `idleTimeoutMs`.
    AbsoluteShorterThanIdle,
    /// `retryMaxMs` is below `retryInitialMs`.
    RetryMaxBelowInitial,
    /// Activity would be shared too rarely for other tabs to see it before they
    /// warn: the interval must be at most half of `warnBeforeMs`.
    BroadcastSlowerThanWarning,
    /// A name (`channelName`, an activity event, a `<meta>` name) that is empty,
    /// longer than 64 bytes, or has characters other than letters, digits and `- _ : .`.
    BadName,
    /// A text (a field name, a body field, an error code, a grant type) that is
    /// empty, longer than 256 bytes, or holds control characters.
    BadText,
    /// An endpoint URL that is empty, too long, holds spaces or control
    /// characters, or has a scheme other than `http`/`https`.
    BadUrl,
    /// An `apiOrigins` entry that is not an `http(s)://host[:port]` origin the
    /// browser writes the same way (an ASCII host, a plain IPv4 or IPv6 address).
    BadOrigin,
    /// A header name that is not an HTTP token.
    BadHeaderName,
    /// A header value that fetch would refuse (CR, LF, NUL, beyond Latin-1) or longer than 8 KiB.
    BadHeaderValue,
    /// A cookie name that is not an HTTP token.
    BadCookieName,
    /// A choice that is not one of the allowed values.
    UnknownChoice,
    /// `csrf` with both or neither of `cookie` and `meta`.
    NeedsOneSource,
    /// A list with too many entries.
    TooMany,
    /// A value of the wrong type (a string where a number belongs …).
    WrongType,
    /// A key that is not an option (a typo such as `idleTimeout`).
    UnknownOption,
    /// A key given twice (possible in JSON text, not in a JS object).
    Duplicate,
}

/// A configuration error: the option it concerns and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The option's path in the options object, e.g. `"warnBeforeMs"` or
    /// `"endpoints.refresh.url"`; keys the app wrote are cut to 64 characters.
    pub field: Cow<'static, str>,
    /// What is wrong with it.
    pub kind: ConfigErrorKind,
}

impl ConfigError {
    /// Stable machine-readable code for every config error.
    pub const CODE: &'static str = "invalid_config";

    /// An error about the option at `field`.
    pub fn new(field: impl Into<Cow<'static, str>>, kind: ConfigErrorKind) -> ConfigError {
        ConfigError { field: field.into(), kind }
    }

    /// A short English description of the problem, without the field name.
    pub fn problem(&self) -> &'static str {
        match self.kind {
            ConfigErrorKind::NotFinite => "must be a finite number",
            ConfigErrorKind::NotPositive => "must be greater than zero",
            ConfigErrorKind::Negative => "must not be negative",
            ConfigErrorKind::TooLarge => "is longer than ten years",
            ConfigErrorKind::TimeoutTooLong => "must be at most 600000 (10 minutes)",
            ConfigErrorKind::BodyLimitTooLarge => "must be at most 4194304 (4 MiB)",
            ConfigErrorKind::NotErrorStatus => "must hold whole HTTP statuses from 400 to 599",
            ConfigErrorKind::WarningNotBeforeDeadline => "must be shorter than the timeout it warns of",
            ConfigErrorKind::AbsoluteShorterThanIdle => "must not be shorter than idleTimeoutMs",
            ConfigErrorKind::RetryMaxBelowInitial => "must not be below retryInitialMs",
            ConfigErrorKind::BroadcastSlowerThanWarning => {
                "must be at most half of warnBeforeMs, so other tabs learn of activity before they warn"
            }
            ConfigErrorKind::BadName => "must be 1 to 64 letters, digits or - _ : .",
            ConfigErrorKind::BadText => "must be 1 to 256 bytes without control characters",
            ConfigErrorKind::BadUrl => {
                "must be a relative URL or an absolute http(s) URL, without spaces, at most 2048 bytes"
            }
            ConfigErrorKind::BadOrigin => {
                "must hold http(s) origins only, such as https://api.example.com (ASCII host names: punycode)"
            }
            ConfigErrorKind::BadHeaderName => "must be a header name: letters, digits and !#$%&'*+-.^_`|~",
            ConfigErrorKind::BadHeaderValue => "must be Latin-1 text of at most 8 KiB without CR, LF or NUL",
            ConfigErrorKind::BadCookieName => "must be a cookie name: letters, digits and !#$%&'*+-.^_`|~",
            ConfigErrorKind::UnknownChoice => "must be one of the documented values",
            ConfigErrorKind::NeedsOneSource => "must have exactly one of cookie and meta",
            ConfigErrorKind::TooMany => "has too many entries (at most 16)",
            ConfigErrorKind::WrongType => "has the wrong type",
            ConfigErrorKind::UnknownOption => "is not an option",
            ConfigErrorKind::Duplicate => "is given more than once",
        }
    }

    /// `"<field> <problem>"`, e.g. `"warnBeforeMs must be greater than zero"`.
    pub fn message(&self) -> String {
        let mut message = String::with_capacity(64);
        message.push_str(&self.field);
        message.push(' ');
        message.push_str(self.problem());
        message
    }
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ConfigError {}

/// Whole milliseconds from a JS number; fractions are truncated.
fn duration(value: f64, allow_zero: bool) -> Result<u64, ConfigErrorKind> {
    if !value.is_finite() {
        return Err(ConfigErrorKind::NotFinite);
    }
    if value < 0.0 {
        return Err(if allow_zero { ConfigErrorKind::Negative } else { ConfigErrorKind::NotPositive });
    }
    if value > MAX_DURATION_MS as f64 {
        return Err(ConfigErrorKind::TooLarge);
    }
    // In range [0, MAX_DURATION_MS], so the cast is exact after truncation.
    let ms = value.trunc() as u64;
    if ms == 0 && !allow_zero {
        return Err(ConfigErrorKind::NotPositive);
    }
    Ok(ms)
}

/// The keys of the duration options, by index (see [`ConfigInput::duration_mut`]),
/// for `concat!` into the options reader's list of every top-level option:
/// the fifteen durations share one path there instead of code per field.
macro_rules! duration_keys {
    () => {
        "idleTimeoutMs warnBeforeMs absoluteTimeoutMs absoluteWarnBeforeMs countdownIntervalMs \
        activityBroadcastIntervalMs refreshBeforeMs refreshJitterMs retryInitialMs retryMaxMs keepaliveEveryMs \
        reconstituteForMs rememberMeAbsoluteMs rememberMeIdleTimeoutMs activityThrottleMs"
    };
}
pub(crate) use duration_keys;

impl ConfigInput {
    /// The duration whose key is at `index` in `duration_keys!()`.
    pub(crate) fn duration_mut(&mut self, index: usize) -> Option<&mut Option<f64>> {
        Some(match index {
            0 => &mut self.idle_timeout_ms,
            1 => &mut self.warn_before_ms,
            2 => &mut self.absolute_timeout_ms,
            3 => &mut self.absolute_warn_before_ms,
            4 => &mut self.countdown_interval_ms,
            5 => &mut self.activity_broadcast_interval_ms,
            6 => &mut self.refresh_before_ms,
            7 => &mut self.refresh_jitter_ms,
            8 => &mut self.retry_initial_ms,
            9 => &mut self.retry_max_ms,
            10 => &mut self.keepalive_every_ms,
            11 => &mut self.reconstitute_for_ms,
            12 => &mut self.remember_me_absolute_ms,
            13 => &mut self.remember_me_idle_timeout_ms,
            14 => &mut self.activity_throttle_ms,
            _ => return None,
        })
    }
}

/// Checks options one by one and keeps the first problem: a bad value reads
/// as its default, so the checks after it run on, and only the first error
/// is reported (one call per option instead of an error to pass up from each).
#[derive(Default)]
struct Checks {
    error: Option<ConfigError>,
}

impl Checks {
    fn fail(&mut self, field: &'static str, kind: ConfigErrorKind) {
        if self.error.is_none() {
            self.error = Some(ConfigError::new(field, kind));
        }
    }

    /// Fails with `kind` when `broken`. Not inlined: one call per rule is
    /// smaller than the error written out at each.
    #[inline(never)]
    fn rule(&mut self, broken: bool, field: &'static str, kind: ConfigErrorKind) {
        if broken {
            self.fail(field, kind);
        }
    }

    /// A duration, `default` when absent; zero allowed only with `allow_zero`.
    /// `value` by reference: each call passes one address instead of an
    /// `Option<f64>` loaded in two parts.
    fn ms(&mut self, field: &'static str, value: &Option<f64>, default: u64, allow_zero: bool) -> u64 {
        match value.map(|value| duration(value, allow_zero)) {
            None => default,
            Some(Ok(ms)) => ms,
            Some(Err(kind)) => {
                self.fail(field, kind);
                default
            }
        }
    }

    /// A duration with no default: `None` when absent.
    fn optional_ms(&mut self, field: &'static str, value: &Option<f64>) -> Option<u64> {
        value.map(|_| self.ms(field, value, 0, false))
    }

    fn done<T>(self, value: T) -> Result<T, ConfigError> {
        match self.error {
            Some(error) => Err(error),
            None => Ok(value),
        }
    }
}

impl Config {
    /// Default idle timeout: 15 minutes (OWASP's upper range for low-risk apps).
    pub const DEFAULT_IDLE_TIMEOUT_MS: u64 = 15 * 60_000;
    /// Default absolute timeout: 8 hours, a working day.
    pub const DEFAULT_ABSOLUTE_TIMEOUT_MS: u64 = 8 * 3_600_000;
    /// Default lifetime of a remembered session: 30 days.
    pub const DEFAULT_REMEMBER_ME_ABSOLUTE_MS: u64 = 30 * 24 * 3_600_000;

    /// Checks `input` and fills in defaults.
    pub fn from_input(input: &ConfigInput) -> Result<Config, ConfigError> {
        use ConfigErrorKind::{AbsoluteShorterThanIdle, BroadcastSlowerThanWarning, WarningNotBeforeDeadline};
        let mut c = Checks::default();
        let idle_timeout_ms = c.ms("idleTimeoutMs", &input.idle_timeout_ms, Self::DEFAULT_IDLE_TIMEOUT_MS, false);
        let warn_before_ms = c.ms("warnBeforeMs", &input.warn_before_ms, (idle_timeout_ms / 2).clamp(1, 60_000), false);
        c.rule(warn_before_ms >= idle_timeout_ms, "warnBeforeMs", WarningNotBeforeDeadline);
        let absolute_timeout_ms = c.ms(
            "absoluteTimeoutMs",
            &input.absolute_timeout_ms,
            Self::DEFAULT_ABSOLUTE_TIMEOUT_MS.max(idle_timeout_ms),
            false,
        );
        c.rule(absolute_timeout_ms < idle_timeout_ms, "absoluteTimeoutMs", AbsoluteShorterThanIdle);
        let absolute_warn_before_ms = c.ms(
            "absoluteWarnBeforeMs",
            &input.absolute_warn_before_ms,
            warn_before_ms.min(absolute_timeout_ms / 2).max(1),
            false,
        );
        c.rule(absolute_warn_before_ms >= absolute_timeout_ms, "absoluteWarnBeforeMs", WarningNotBeforeDeadline);
        let countdown_interval_ms = c.ms("countdownIntervalMs", &input.countdown_interval_ms, 1_000, false);
        let activity_broadcast_interval_ms = c.ms(
            "activityBroadcastIntervalMs",
            &input.activity_broadcast_interval_ms,
            (warn_before_ms / 4).min(5_000),
            true,
        );
        c.rule(
            activity_broadcast_interval_ms > warn_before_ms / 2,
            "activityBroadcastIntervalMs",
            BroadcastSlowerThanWarning,
        );
        let refresh_before_ms = c.ms("refreshBeforeMs", &input.refresh_before_ms, 60_000, true);
        let refresh_jitter_ms = c.ms("refreshJitterMs", &input.refresh_jitter_ms, 5_000, true);
        let retry_initial_ms = c.ms("retryInitialMs", &input.retry_initial_ms, 1_000, false);
        let retry_max_ms = c.ms("retryMaxMs", &input.retry_max_ms, 60_000.max(retry_initial_ms), false);
        c.rule(retry_max_ms < retry_initial_ms, "retryMaxMs", ConfigErrorKind::RetryMaxBelowInitial);
        let keepalive_every_ms = c.optional_ms("keepaliveEveryMs", &input.keepalive_every_ms);
        let reconstitute_for_ms = c.optional_ms("reconstituteForMs", &input.reconstitute_for_ms);
        let remember_me_absolute_ms =
            c.ms("rememberMeAbsoluteMs", &input.remember_me_absolute_ms, Self::DEFAULT_REMEMBER_ME_ABSOLUTE_MS, false);
        c.rule(remember_me_absolute_ms <= absolute_warn_before_ms, "rememberMeAbsoluteMs", WarningNotBeforeDeadline);
        let remember_me_idle_timeout_ms = c.optional_ms("rememberMeIdleTimeoutMs", &input.remember_me_idle_timeout_ms);
        c.rule(
            remember_me_idle_timeout_ms.is_some_and(|ms| ms <= warn_before_ms),
            "rememberMeIdleTimeoutMs",
            WarningNotBeforeDeadline,
        );
        c.done(Config {
            keepalive_every_ms,
            reconstitute_for_ms,
            remember_me_absolute_ms,
            remember_me_idle_timeout_ms,
            idle_timeout_ms,
            warn_before_ms,
            absolute_timeout_ms,
            absolute_warn_before_ms,
            countdown_interval_ms,
            activity_broadcast_interval_ms,
            refresh_before_ms,
            refresh_jitter_ms,
            retry_initial_ms,
            retry_max_ms,
        })
    }
}

impl Default for Config {
    fn default() -> Self {
        // The defaults satisfy every rule; the fallback is never taken but keeps
        // this free of unwrap.
        Config::from_input(&ConfigInput::default()).unwrap_or(Config {
            idle_timeout_ms: Self::DEFAULT_IDLE_TIMEOUT_MS,
            warn_before_ms: 60_000,
            absolute_timeout_ms: Self::DEFAULT_ABSOLUTE_TIMEOUT_MS,
            absolute_warn_before_ms: 60_000,
            countdown_interval_ms: 1_000,
            activity_broadcast_interval_ms: 5_000,
            refresh_before_ms: 60_000,
            refresh_jitter_ms: 5_000,
            retry_initial_ms: 1_000,
            retry_max_ms: 60_000,
            keepalive_every_ms: None,
            reconstitute_for_ms: None,
            remember_me_absolute_ms: Self::DEFAULT_REMEMBER_ME_ABSOLUTE_MS,
            remember_me_idle_timeout_ms: None,
        })
    }
}

/// Where the session is kept for a reload to resume (tokens included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageChoice {
    /// In wasm memory only: gone with the page.
    Memory,
    /// `sessionStorage`: this tab, survives reloads.
    Session,
    /// `localStorage`: every tab of the origin, survives restarts.
    Local,
}

/// The browser shell's options, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellOptions {
    /// See [`ConfigInput::channel_name`].
    pub channel_name: String,
    /// See [`ConfigInput::activity_events`].
    pub activity_events: Vec<String>,
    /// See [`ConfigInput::activity_throttle_ms`].
    pub activity_throttle_ms: u64,
    /// See [`ConfigInput::storage`].
    pub storage: StorageChoice,
    /// `monitor`: where and how often lifecycle records are sent; `None`: off.
    pub monitor: Option<super::monitor::MonitorOptions>,
}

/// The default activity events: a person's pointer, keyboard, wheel and touch.
/// Not `scroll`: a page scrolls itself (a chat, a log tail, a ticker), which
/// would keep the session alive with nobody there, and a person's scrolling
/// already shows as `wheel`, `keydown`, `touchstart` or `pointerdown`. Apps may
/// add it back with `activityEvents`.
pub const DEFAULT_ACTIVITY_EVENTS: [&str; 5] = ["pointerdown", "pointermove", "keydown", "wheel", "touchstart"];

/// Whether `text` is a name the shell may use as a key or a selector: 1 to 64
/// letters, digits or `- _ : .` (channel names, DOM event types, `<meta>` names).
pub fn is_name(text: &str) -> bool {
    // ASCII only: every byte of a wider character fails the test.
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.');
    !text.is_empty() && text.len() <= 64 && super::text::all_bytes(text, allowed)
}

impl ShellOptions {
    /// Checks the shell's part of `input` and fills in defaults.
    pub fn from_input(input: &ConfigInput) -> Result<ShellOptions, ConfigError> {
        Self::take_from(&mut input.clone())
    }

    /// [`ShellOptions::from_input`], moving the texts and lists out of
    /// `input` instead of copying them (the options reader is done with them).
    pub(crate) fn take_from(input: &mut ConfigInput) -> Result<ShellOptions, ConfigError> {
        let mut c = Checks::default();
        let channel_name = input.channel_name.as_deref().unwrap_or(super::scope::CHANNEL_PREFIX);
        c.rule(!is_name(channel_name), "channelName", ConfigErrorKind::BadName);
        let activity_events = match input.activity_events.take() {
            None => {
                let mut defaults = Vec::with_capacity(DEFAULT_ACTIVITY_EVENTS.len());
                for &event in &DEFAULT_ACTIVITY_EVENTS {
                    defaults.push(event.to_owned());
                }
                defaults
            }
            Some(events) => {
                c.rule(events.len() > 16, "activityEvents", ConfigErrorKind::TooMany);
                for event in &events {
                    c.rule(!is_name(event), "activityEvents", ConfigErrorKind::BadName);
                }
                events
            }
        };
        let activity_throttle_ms = c.ms("activityThrottleMs", &input.activity_throttle_ms, 1_000, true);
        let storage = match input.storage.as_deref() {
            None | Some("memory") => StorageChoice::Memory,
            Some("session") => StorageChoice::Session,
            Some("local") => StorageChoice::Local,
            Some(_) => {
                c.rule(true, "storage", ConfigErrorKind::UnknownChoice);
                StorageChoice::Memory
            }
        };
        let monitor = input.monitor_url.take().map(|url| super::monitor::MonitorOptions {
            url,
            flush_ms: c.ms("monitor.flushMs", &input.monitor_flush_ms, 10_000, false),
        });
        let channel_name = channel_name.to_owned();
        c.done(ShellOptions { channel_name, activity_events, activity_throttle_ms, storage, monitor })
    }
}
