//! The options reader: the app's options object, read once.
//!
//! [`read`] walks the options object (a [`Value`] the shell built from the JS
//! object) with one reader per object (a `match` on the key's index), and produces
//! everything the options configure: the timing [`Config`], the endpoint
//! configuration ([`Transport`]) and the [`ShellOptions`]. Nested objects
//! (`endpoints`, `csrf`, `responseFields` …) have readers of their own, walked
//! by the same code. Every problem is a [`ConfigError`] naming the option's path
//! (`endpoints.refresh.url`) and its kind; nothing here panics, whatever the value.
//!
//! The presets ([`oauth2_options`], [`cookie_session_options`]) are options
//! fragments built here as values, so they go through the same reader as
//! hand-written options.

use std::borrow::Cow;

use super::config::{duration_keys, is_name, Config, ConfigError, ConfigErrorKind, ConfigInput, ShellOptions};
use super::endpoints::{
    self, header_value_ok, is_token, is_valid_url, BodyEncoding, Credentials, Csrf, CsrfSource, Endpoint, FieldNames,
    TokenMode, Transport, MAX_BODY_LIMIT, MAX_LIST, MAX_NAME_LEN, MAX_TIMEOUT_MS,
};
use super::scope;
use super::value::{Members, Value};

/// With a keepalive endpoint and no `keepaliveEveryMs`: one keepalive a minute at most.
pub const DEFAULT_KEEPALIVE_EVERY_MS: u64 = 60_000;

/// Keys the app wrote are cut to this many characters in error messages.
const MAX_ECHOED_KEY: usize = 64;

/// Everything the options object configures, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Timeouts, warnings, refresh timing.
    pub config: Config,
    /// The backend's endpoints and how to talk to them.
    pub endpoints: Transport,
    /// What the browser shell needs: channel name, activity events, storage.
    pub shell: ShellOptions,
}

/// Reads the whole options object.
///
/// Shape (every key optional; see `docs/CONTRACT.md` and `src/api.d.ts`):
///
/// ```text
/// { idleTimeoutMs, warnBeforeMs, absoluteTimeoutMs, absoluteWarnBeforeMs, countdownIntervalMs,
///   activityBroadcastIntervalMs, refreshBeforeMs, refreshJitterMs, retryInitialMs, retryMaxMs,
///   keepaliveEveryMs, rememberMeAbsoluteMs, rememberMeIdleTimeoutMs, activityThrottleMs, channelName,
///   storage, activityEvents: [..],
///   endpoints: { refresh: "/auth/refresh" | { url, method }, keepalive, session, logout, revocation },
///   mode: "bearer" | "cookie", bodyEncoding: "json" | "form",
///   credentials: "omit" | "same-origin" | "include", requestTimeoutMs,
///   headers: { name: value }, bodyFields: { name: value }, refreshTokenField, grantType,
///   responseFields: { accessToken, refreshToken, expiresIn, expiresAt, error, user },
///   csrf: { header: "X-CSRF-Token", cookie: "csrf" } | { header, meta: "csrf-token" },
///   maxBodyBytes, revokedStatuses: [401], revokedErrorCodes: ["session_revoked"],
///   sessionCookie, apiOrigins: ["https://api.example.com"], reconstituteForMs,
///   monitor: { url, flushMs } }
/// ```
///
/// `null` turns an endpoint, `grantType` or `csrf` off. With a keepalive
/// endpoint, `keepaliveEveryMs` defaults to [`DEFAULT_KEEPALIVE_EVERY_MS`].
/// Without `channelName`, the channel is named after the configuration
/// ([`scope::default_channel_name`]; here with no page, so page-relative
/// endpoint URLs are taken as written: the shell uses [`read_on_page`]).
///
/// # Errors
///
/// The first problem met, as a [`ConfigError`] whose `field` is the path of the
/// option (dotted for nested keys): unknown and repeated keys, wrong types,
/// values out of range or not what their field holds, then the rules between
/// the timing options.
pub fn read(options: &Value) -> Result<Options, ConfigError> {
    read_on_page(options, "")
}

/// [`read`] on a page whose base URL (`document.baseURI`) is `base_url`: the
/// default `channelName` is derived from the configuration, with page-relative
/// endpoint URLs resolved against it ([`scope::default_channel_name`]).
///
/// # Errors
///
/// As [`read`].
pub fn read_on_page(options: &Value, base_url: &str) -> Result<Options, ConfigError> {
    let mut draft = Draft { input: ConfigInput::default(), endpoints: Transport::default() };
    walk(&Path::ROOT, options, OPTION_KEYS, &mut draft).map_err(|error| *error)?;
    // In place: the draft is not moved apart.
    let input = &mut draft.input;
    if draft.endpoints.keepalive.is_some() && input.keepalive_every_ms.is_none() {
        input.keepalive_every_ms = Some(DEFAULT_KEEPALIVE_EVERY_MS as f64);
    }
    if input.channel_name.is_none() {
        input.channel_name = Some(scope::default_channel_name(&draft.endpoints, base_url));
    }
    // Both checked, then one exit for either error (the timing options' first):
    // fewer paths that drop what was read.
    match (Config::from_input(input), ShellOptions::take_from(input)) {
        (Ok(config), Ok(shell)) => Ok(Options { config, endpoints: draft.endpoints, shell }),
        (Err(error), _) | (_, Err(error)) => Err(error),
    }
}

/// What [`read`] fills in while it walks.
struct Draft {
    input: ConfigInput,
    endpoints: Transport,
}

// ---- paths ----

/// Where a value sits in the options object: a chain of keys, for messages only.
/// Passed by reference: by value, every call copied its three words to the stack.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    key: &'a str,
}

impl<'a> Path<'a> {
    /// The options object itself, named `options` in messages.
    const ROOT: Path<'static> = Path { parent: None, key: "options" };

    fn child(&'a self, key: &'a str) -> Path<'a> {
        Path { parent: Some(self), key }
    }

    /// `endpoints.refresh.url`; the root's name only for the root itself.
    fn text(&self) -> String {
        let mut text = String::with_capacity(64);
        self.write(&mut text);
        text
    }

    /// Appends the keys from the root's child down to this one, dotted (paths
    /// nest a few levels deep, as options do).
    fn write(&self, text: &mut String) {
        if let Some(parent) = self.parent.filter(|parent| parent.parent.is_some()) {
            parent.write(text);
            text.push('.');
        }
        let key = self.key;
        if key.is_empty() {
            text.push_str("\"\""); // so that an empty key still shows
        }
        let cut = key.char_indices().nth(MAX_ECHOED_KEY).map_or(key.len(), |(at, _)| at);
        text.push_str(key.get(..cut).unwrap_or(key));
    }

    fn error(&self, kind: ConfigErrorKind) -> Fail {
        Box::new(ConfigError::new(Cow::Owned(self.text()), kind))
    }
}

// ---- the readers ----

/// A problem while reading, boxed: a `Result` of it fits in a register, so
/// passing it up with `?` costs little (a bare `ConfigError` is four words).
type Fail = Box<ConfigError>;

/// What reads the members of one kind of object, for [`walk`]: a trait of
/// our own rather than a closure, so that each reader is one function (a
/// `dyn FnMut` also brings a `call_once` shim per closure).
trait Reader {
    /// Reads the value of the key at `index` of the walked object's key list
    /// into its target, or names what is wrong with it.
    fn read(&mut self, index: usize, p: &Path<'_>, v: &Value) -> Result<(), Fail>;
}

/// Every top-level option: the durations first, indexed as in
/// `duration_keys!()`, then the others from [`FIRST_OTHER`] on.
const OPTION_KEYS: &str = concat!(
    duration_keys!(),
    " channelName storage activityEvents endpoints mode bodyEncoding credentials requestTimeoutMs maxBodyBytes \
    headers bodyFields refreshTokenField grantType responseFields csrf revokedStatuses revokedErrorCodes \
    sessionCookie apiOrigins monitor"
);

/// The index of `channelName`, the first option after the durations.
const FIRST_OTHER: usize = 15;

/// The index of `name` in `names`, a list of keys separated by spaces. Every
/// object's keys are looked up here, and each reader matches on the index: one
/// routine for every key comparison, instead of code per key.
fn find(names: &str, name: &str) -> Option<usize> {
    names.split(' ').position(|known| known == name)
}

/// Every top-level option: the durations by their index, the rest by a
/// `match` on theirs.
impl Reader for Draft {
    fn read(&mut self, index: usize, p: &Path<'_>, v: &Value) -> Result<(), Fail> {
        let (input, t) = (&mut self.input, &mut self.endpoints);
        if let Some(duration) = input.duration_mut(index) {
            set_number(duration, p, v)?;
            return Ok(());
        }
        match index.wrapping_sub(FIRST_OTHER) {
            0 => set_text(&mut input.channel_name, p, v, TextRule::Any)?,
            1 => set_text(&mut input.storage, p, v, TextRule::Any)?,
            2 => texts(p, v, TextRule::Any, input.activity_events.insert(Vec::new()))?,
            3 => walk(p, v, "refresh keepalive session logout revocation", t)?,
            4 => t.mode = if choice(p, v, "bearer cookie")? == 0 { TokenMode::Bearer } else { TokenMode::Cookie },
            5 => {
                let json = choice(p, v, "json form")? == 0;
                t.encoding = if json { BodyEncoding::Json } else { BodyEncoding::Form };
            }
            6 => {
                t.credentials = match choice(p, v, "omit same-origin include")? {
                    0 => Credentials::Omit,
                    1 => Credentials::SameOrigin,
                    _ => Credentials::Include,
                };
            }
            7 => t.timeout_ms = whole(p, v, MAX_TIMEOUT_MS, ConfigErrorKind::TimeoutTooLong)?,
            8 => {
                let limit = whole(p, v, MAX_BODY_LIMIT as u64, ConfigErrorKind::BodyLimitTooLarge)?;
                // At most MAX_BODY_LIMIT (4 MiB): the cast is exact.
                t.max_body_bytes = limit as usize;
            }
            9 => pairs(p, v, header_problem, &mut t.headers)?,
            10 => pairs(p, v, body_field_problem, &mut t.body_fields)?,
            11 => t.refresh_token_field = checked_text(p, v, TextRule::Plain)?,
            // `null`: none, as it starts (each key is read once).
            12 if v.is_null() => {}
            12 => set_text(&mut t.grant_type, p, v, TextRule::Plain)?,
            13 => walk(p, v, "accessToken refreshToken expiresIn expiresAt error user", &mut t.fields)?,
            14 => csrf(&mut t.csrf, p, v)?,
            15 => {
                // In place of the default ([401]).
                t.revoked_statuses.clear();
                for item in list(p, v)? {
                    t.revoked_statuses.push(error_status(p, item)?);
                }
            }
            16 => texts(p, v, TextRule::Plain, &mut t.revoked_error_codes)?,
            17 => set_text(&mut t.session_cookie, p, v, TextRule::CookieName)?,
            18 => texts(p, v, TextRule::Origin, &mut t.api_origins)?,
            _ => {
                // monitor
                walk(p, v, "url flushMs", &mut MonitorReader(input))?;
                if input.monitor_url.is_none() {
                    return Err(p.child("url").error(ConfigErrorKind::WrongType));
                }
            }
        }
        Ok(())
    }
}

/// `monitor` (`url flushMs`), into the [`ConfigInput`].
struct MonitorReader<'a>(&'a mut ConfigInput);

impl Reader for MonitorReader<'_> {
    fn read(&mut self, index: usize, p: &Path<'_>, v: &Value) -> Result<(), Fail> {
        if index == 0 {
            set_text(&mut self.0.monitor_url, p, v, TextRule::Url)?;
        } else {
            set_number(&mut self.0.monitor_flush_ms, p, v)?;
        }
        Ok(())
    }
}

/// `endpoints` (`refresh keepalive session logout revocation`): each a URL
/// string, `{ url, method }` or `null`. `GET` sends no body, so the endpoints
/// that carry a token or a body may not use it.
impl Reader for Transport {
    fn read(&mut self, index: usize, p: &Path<'_>, v: &Value) -> Result<(), Fail> {
        let t = self;
        let slot = match index {
            0 => &mut t.refresh,
            1 => &mut t.keepalive,
            2 => &mut t.session,
            3 => &mut t.logout,
            _ => &mut t.revocation,
        };
        let default_method = if index == 2 { "GET" } else { "POST" };
        endpoint(slot, p, v, default_method, index == 1 || index == 2)
    }
}

/// `responseFields` (`accessToken refreshToken expiresIn expiresAt error user`).
impl Reader for FieldNames {
    fn read(&mut self, index: usize, p: &Path<'_>, v: &Value) -> Result<(), Fail> {
        let f = self;
        let slot = match index {
            0 => &mut f.access_token,
            1 => &mut f.refresh_token,
            2 => &mut f.expires_in,
            3 => &mut f.expires_at,
            4 => &mut f.error,
            _ => &mut f.user,
        };
        *slot = checked_text(p, v, TextRule::Plain)?;
        Ok(())
    }
}

/// Walks the object `value` whose keys are `keys` (see [`find`]): each member
/// is read by `read`, given its key's index. Unknown and repeated keys are
/// errors naming their path.
fn walk(path: &Path<'_>, value: &Value, keys: &str, reader: &mut dyn Reader) -> Result<(), Fail> {
    let members = value.as_object().ok_or_else(|| path.error(ConfigErrorKind::WrongType))?;
    let mut seen = 0_u64;
    for (key, value) in members {
        let at = path.child(key);
        let index = find(keys, key).ok_or_else(|| at.error(ConfigErrorKind::UnknownOption))?;
        let bit = 1_u64 << index;
        if seen & bit != 0 {
            return Err(at.error(ConfigErrorKind::Duplicate));
        }
        seen |= bit;
        reader.read(index, &at, value)?;
    }
    Ok(())
}

// ---- values ----

fn text<'v>(path: &Path<'_>, value: &'v Value) -> Result<&'v str, Fail> {
    value.as_str().ok_or_else(|| path.error(ConfigErrorKind::WrongType))
}

/// The one number reader. `null` is reported as not finite: it is what JSON
/// makes of `NaN` and `Infinity`.
fn number(path: &Path<'_>, value: &Value) -> Result<f64, Fail> {
    match value {
        Value::Number(n) if n.is_finite() => Ok(*n),
        Value::Number(_) | Value::Null => Err(path.error(ConfigErrorKind::NotFinite)),
        _ => Err(path.error(ConfigErrorKind::WrongType)),
    }
}

/// [`number`] into `slot`, as [`set_text`].
#[inline(never)]
fn set_number(slot: &mut Option<f64>, path: &Path<'_>, value: &Value) -> Result<(), Fail> {
    *slot = Some(number(path, value)?);
    Ok(())
}

/// A whole number in `1..=max`; fractions are truncated, as for durations.
fn whole(path: &Path<'_>, value: &Value, max: u64, too_large: ConfigErrorKind) -> Result<u64, Fail> {
    let n = number(path, value)?;
    if n < 1.0 {
        return Err(path.error(ConfigErrorKind::NotPositive));
    }
    if n > max as f64 {
        return Err(path.error(too_large));
    }
    Ok(n.trunc() as u64)
}

/// The index of one of `names` (separated by spaces), by its exact name.
fn choice(path: &Path<'_>, value: &Value, names: &str) -> Result<usize, Fail> {
    let name = text(path, value)?;
    find(names, name).ok_or_else(|| path.error(ConfigErrorKind::UnknownChoice))
}

/// A text that names something on the server (field names, codes, grant types):
/// 1 to 256 bytes, no control characters.
fn is_text(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_NAME_LEN && !has_control(text)
}

/// Whether `text` holds a control character (`char::is_control`: C0, DEL and
/// C1), by its UTF-8 bytes: C1 is U+0080..=U+009F, `C2 80`..=`C2 9F`.
fn has_control(text: &str) -> bool {
    let mut previous = 0;
    for byte in text.bytes() {
        if byte < 0x20 || byte == 0x7f || (previous == 0xc2 && byte <= 0x9f) {
            return true;
        }
        previous = byte;
    }
    false
}

/// What a text option must hold, for [`checked_text`].
#[derive(Clone, Copy)]
enum TextRule {
    /// Any text (what it must hold is checked where it is used).
    Any,
    /// A name on the server: [`is_text`].
    Plain,
    /// An endpoint URL.
    Url,
    /// A cookie name: an RFC 6265 token.
    CookieName,
    /// A header name: an HTTP token.
    HeaderName,
    /// A name the shell may use as a key or a selector ([`is_name`]).
    Name,
    /// An origin only, normalised as the URL parser writes it
    /// (`https://api.x:443` is `https://api.x`), so that it matches: a path
    /// would suggest a prefix match that is not made.
    Origin,
}

/// The one text reader: the text at `path`, as `rule` wants it. One routine
/// and one error site for every kind of text.
fn checked_text(path: &Path<'_>, value: &Value, rule: TextRule) -> Result<String, Fail> {
    let found = text(path, value)?;
    let (ok, kind) = match rule {
        TextRule::Any => (true, ConfigErrorKind::WrongType),
        TextRule::Plain => (is_text(found), ConfigErrorKind::BadText),
        TextRule::Url => (is_valid_url(found), ConfigErrorKind::BadUrl),
        TextRule::CookieName => (is_token(found), ConfigErrorKind::BadCookieName),
        TextRule::HeaderName => (is_token(found), ConfigErrorKind::BadHeaderName),
        TextRule::Name => (is_name(found), ConfigErrorKind::BadName),
        TextRule::Origin => {
            return endpoints::api_origin(found).ok_or_else(|| path.error(ConfigErrorKind::BadOrigin));
        }
    };
    if ok {
        Ok(found.to_owned())
    } else {
        Err(path.error(kind))
    }
}

/// An array of at most [`MAX_LIST`] entries.
fn list<'v>(path: &Path<'_>, value: &'v Value) -> Result<&'v [Value], Fail> {
    let items = value.as_array().ok_or_else(|| path.error(ConfigErrorKind::WrongType))?;
    if items.len() > MAX_LIST {
        return Err(path.error(ConfigErrorKind::TooMany));
    }
    Ok(items)
}

/// [`checked_text`] into `slot`: one call at each use instead of a result to
/// unpack there.
#[inline(never)]
fn set_text(slot: &mut Option<String>, path: &Path<'_>, value: &Value, rule: TextRule) -> Result<(), Fail> {
    *slot = Some(checked_text(path, value, rule)?);
    Ok(())
}

/// A list of texts, each as `rule` wants it, appended to `out`, which the
/// walk gives empty: every option is read once, into its default (an empty
/// list).
fn texts(path: &Path<'_>, value: &Value, rule: TextRule, out: &mut Vec<String>) -> Result<(), Fail> {
    for item in list(path, value)? {
        out.push(checked_text(path, item, rule)?);
    }
    Ok(())
}

/// What is wrong with a static header, if anything.
fn header_problem(name: &str, value: &str) -> Option<ConfigErrorKind> {
    if !is_token(name) {
        Some(ConfigErrorKind::BadHeaderName)
    } else if !header_value_ok(value) {
        Some(ConfigErrorKind::BadHeaderValue)
    } else {
        None
    }
}

/// What is wrong with a body field, if anything.
fn body_field_problem(name: &str, _value: &str) -> Option<ConfigErrorKind> {
    (!is_text(name)).then_some(ConfigErrorKind::BadText)
}

/// `{ name: value }` text pairs in document order, at most [`MAX_LIST`],
/// appended to `out` (empty, as for [`texts`]); `problem` says what, if
/// anything, is wrong with a pair.
fn pairs(
    path: &Path<'_>,
    value: &Value,
    problem: fn(&str, &str) -> Option<ConfigErrorKind>,
    out: &mut Vec<(String, String)>,
) -> Result<(), Fail> {
    let members = value.as_object().ok_or_else(|| path.error(ConfigErrorKind::WrongType))?;
    if members.len() > MAX_LIST {
        return Err(path.error(ConfigErrorKind::TooMany));
    }
    for (name, item) in members {
        let at = path.child(name);
        let text = text(&at, item)?;
        if let Some(kind) = problem(name, text) {
            return Err(at.error(kind));
        }
        if out.iter().any(|(seen, _)| seen == name) {
            return Err(at.error(ConfigErrorKind::Duplicate));
        }
        out.push((name.clone(), text.to_owned()));
    }
    Ok(())
}

/// One endpoint, into `slot`; `null` turns it off.
fn endpoint(
    slot: &mut Option<Endpoint>,
    path: &Path<'_>,
    value: &Value,
    default_method: &str,
    allow_get: bool,
) -> Result<(), Fail> {
    // One reader for both forms, its fields used in place.
    let mut read = EndpointReader::default();
    match value {
        // Every endpoint starts off, and is read once.
        Value::Null => return Ok(()),
        Value::String(_) => set_text(&mut read.url, path, value, TextRule::Url)?,
        Value::Object(_) => walk(path, value, "url method", &mut read)?,
        _ => return Err(path.error(ConfigErrorKind::WrongType)),
    }
    let Some(url) = read.url.take() else {
        return Err(path.child("url").error(ConfigErrorKind::WrongType));
    };
    let asked = read.method.as_deref().unwrap_or(default_method);
    let mut known = None;
    // `GET` first: where it is not allowed, the methods after it.
    static METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
    for &name in METHODS.get(usize::from(!allow_get)..).unwrap_or_default() {
        if name.eq_ignore_ascii_case(asked) {
            known = Some(name);
            break;
        }
    }
    let method = known.ok_or_else(|| path.child("method").error(ConfigErrorKind::UnknownChoice))?;
    *slot = Some(Endpoint { url, method: method.to_owned() });
    Ok(())
}

/// An endpoint written as `{ url, method }`.
#[derive(Default)]
struct EndpointReader {
    url: Option<String>,
    method: Option<String>,
}

impl Reader for EndpointReader {
    fn read(&mut self, index: usize, p: &Path<'_>, v: &Value) -> Result<(), Fail> {
        if index == 0 {
            set_text(&mut self.url, p, v, TextRule::Url)?;
        } else {
            set_text(&mut self.method, p, v, TextRule::Any)?;
        }
        Ok(())
    }
}

/// `csrf`'s members as met: the header, and the source (`two` when both a
/// cookie and a meta tag were given; each key is read once).
struct CsrfReader {
    header: Option<String>,
    source: Option<CsrfSource>,
    two: bool,
}

impl Reader for CsrfReader {
    fn read(&mut self, index: usize, p: &Path<'_>, v: &Value) -> Result<(), Fail> {
        let rule = match index {
            0 => TextRule::HeaderName,
            1 => TextRule::CookieName,
            // Kept to plain characters so the shell may look it up by name safely.
            _ => TextRule::Name,
        };
        let name = checked_text(p, v, rule)?;
        let source = match index {
            0 => {
                self.header = Some(name);
                return Ok(());
            }
            1 => CsrfSource::Cookie(name),
            _ => CsrfSource::Meta(name),
        };
        self.two |= self.source.is_some();
        self.source = Some(source);
        Ok(())
    }
}

/// `csrf`: `{ header?, cookie }` or `{ header?, meta }`, into `slot`; `null`
/// leaves it off (as it starts: each key is read once).
fn csrf(slot: &mut Option<Csrf>, path: &Path<'_>, value: &Value) -> Result<(), Fail> {
    if value.is_null() {
        return Ok(());
    }
    let mut read = CsrfReader { header: None, source: None, two: false };
    walk(path, value, "header cookie meta", &mut read)?;
    // Both a cookie and a meta tag: which one wins would be a guess.
    let Some(source) = read.source.take().filter(|_| !read.two) else {
        return Err(path.error(ConfigErrorKind::NeedsOneSource));
    };
    *slot = Some(Csrf { header: read.header.take().unwrap_or_else(|| "X-CSRF-Token".to_owned()), source });
    Ok(())
}

/// Only error statuses can mean "revoked": a 2xx is an answer.
fn error_status(path: &Path<'_>, value: &Value) -> Result<u16, Fail> {
    let n = number(path, value)?;
    if (400.0..=599.0).contains(&n) && n.fract() == 0.0 {
        Ok(n as u16)
    } else {
        Err(path.error(ConfigErrorKind::NotErrorStatus))
    }
}

// ---- presets ----

/// The [`Transport::oauth2`] preset as an options fragment, for the JS
/// `oauth2({ tokenUrl, clientId, revocationUrl })` helper: apps spread it into
/// their options, so presets and hand-written options go through one reader.
pub fn oauth2_options(token_url: &str, client_id: &str, revocation_url: Option<&str>) -> Value {
    let mut endpoints = Members::default();
    endpoints.text("refresh", token_url);
    if let Some(revocation_url) = revocation_url {
        endpoints.text("revocation", revocation_url);
    }
    let mut body_fields = Members::default();
    body_fields.text("client_id", client_id);
    let mut options = Members::default();
    options.value("endpoints", endpoints.done());
    options.text("mode", "bearer");
    options.text("bodyEncoding", "form");
    options.text("credentials", "same-origin");
    options.value("bodyFields", body_fields.done());
    options.text("grantType", "refresh_token");
    options.done()
}

/// The [`Transport::cookie_session`] preset as an options fragment.
pub fn cookie_session_options(keepalive_url: &str, session_url: &str, logout_url: &str) -> Value {
    let mut session = Members::default();
    session.text("url", session_url);
    session.text("method", "GET");
    let mut endpoints = Members::default();
    endpoints.text("keepalive", keepalive_url);
    endpoints.text("logout", logout_url);
    endpoints.value("session", session.done());
    let mut options = Members::default();
    options.value("endpoints", endpoints.done());
    options.text("mode", "cookie");
    options.text("credentials", "include");
    options.done()
}
