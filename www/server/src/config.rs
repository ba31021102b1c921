//! Command-line configuration.

use std::path::PathBuf;

/// How the session travels between browser and server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Access token (JWT) in memory, refresh token in an HttpOnly cookie.
    Bearer,
    /// Server-side session in an HttpOnly cookie, CSRF double-submit cookie.
    Cookie,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Bearer => "bearer",
            Mode::Cookie => "cookie",
        }
    }
}

/// Bearer mode: where the refresh token travels between browser and server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefreshTokenIn {
    /// An HttpOnly cookie the client never sees.
    Cookie,
    /// The JSON body of login and refresh answers and of refresh requests: the
    /// client holds it in memory, so a stale one it presents is caught by reuse
    /// detection (the end-to-end rotation races run in both modes).
    Body,
}

impl RefreshTokenIn {
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshTokenIn::Cookie => "cookie",
            RefreshTokenIn::Body => "body",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub mode: Mode,
    /// Bearer mode only; cookie mode has no refresh token.
    pub refresh_token_in: RefreshTokenIn,
    /// Access-token lifetime in ms; whole seconds (JWT `exp` is in seconds), at least 1 s.
    pub access_ttl_ms: u64,
    pub idle_timeout_ms: u64,
    pub absolute_timeout_ms: u64,
    /// Lifetime of a session signed in with "remember me": its cookies persist
    /// (`Max-Age`) until then, and it has no idle timeout.
    pub remember_me_ms: u64,
    /// `(username, password)` pairs.
    pub users: Vec<(String, String)>,
    pub static_dir: PathBuf,
    pub pkg_dir: PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            host: "127.0.0.1".into(),
            port: 8080,
            mode: Mode::Bearer,
            refresh_token_in: RefreshTokenIn::Cookie,
            access_ttl_ms: 30_000,
            idle_timeout_ms: 5 * 60_000,
            absolute_timeout_ms: 60 * 60_000,
            remember_me_ms: 30 * 24 * 3_600_000,
            users: vec![("alice".into(), "alice".into()), ("bob".into(), "bob".into())],
            static_dir: "www".into(),
            pkg_dir: "pkg".into(),
        }
    }
}

pub const USAGE: &str = "usage: wasm-session-server [--port 8080] [--host 127.0.0.1] [--mode bearer|cookie] \
[--refresh-token cookie|body] [--access-ttl 30s] [--idle-timeout 5m] [--absolute-timeout 1h] [--remember-me 720h] \
[--users alice:alice,bob:bob] \
[--static-dir www] [--pkg-dir pkg]";

/// Parses a duration such as `250ms`, `30s`, `5m`, `1h` into milliseconds (must be > 0).
pub fn parse_duration_ms(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1_000)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60_000)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3_600_000)
    } else {
        return Err(format!("duration {s:?} needs a unit: ms, s, m or h"));
    };
    let n: u64 = num.parse().map_err(|_| format!("bad duration {s:?}"))?;
    match n.checked_mul(mult) {
        Some(0) => Err(format!("duration {s:?} must be positive")),
        // Cap at ~10 years so deadline arithmetic can never overflow.
        Some(ms) if ms <= 315_360_000_000 => Ok(ms),
        _ => Err(format!("duration {s:?} is too large")),
    }
}

fn parse_users(s: &str) -> Result<Vec<(String, String)>, String> {
    let mut users = Vec::new();
    for pair in s.split(',') {
        match pair.split_once(':') {
            Some((u, p)) if !u.is_empty() && !p.is_empty() => users.push((u.to_string(), p.to_string())),
            _ => return Err(format!("bad user {pair:?}: expected name:password")),
        }
    }
    Ok(users)
}

/// Parses the arguments (without the program name). `Ok(None)` means `--help`.
pub fn parse_args<I: IntoIterator<Item = String>>(args: I) -> Result<Option<Config>, String> {
    let mut cfg = Config::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        if key == "--help" || key == "-h" {
            return Ok(None);
        }
        let value = match inline.or_else(|| it.next()) {
            Some(v) => v,
            None => return Err(format!("{key} needs a value")),
        };
        match key.as_str() {
            "--port" => cfg.port = value.parse().map_err(|_| format!("bad port {value:?}"))?,
            "--host" => cfg.host = value,
            "--mode" => {
                cfg.mode = match value.as_str() {
                    "bearer" => Mode::Bearer,
                    "cookie" => Mode::Cookie,
                    _ => return Err(format!("bad mode {value:?}: bearer or cookie")),
                }
            }
            "--refresh-token" => {
                cfg.refresh_token_in = match value.as_str() {
                    "cookie" => RefreshTokenIn::Cookie,
                    "body" => RefreshTokenIn::Body,
                    _ => return Err(format!("bad refresh token place {value:?}: cookie or body")),
                }
            }
            "--access-ttl" => cfg.access_ttl_ms = parse_duration_ms(&value)?.div_ceil(1000) * 1000,
            "--idle-timeout" => cfg.idle_timeout_ms = parse_duration_ms(&value)?,
            "--absolute-timeout" => cfg.absolute_timeout_ms = parse_duration_ms(&value)?,
            "--remember-me" => cfg.remember_me_ms = parse_duration_ms(&value)?,
            "--users" => cfg.users = parse_users(&value)?,
            "--static-dir" => cfg.static_dir = value.into(),
            "--pkg-dir" => cfg.pkg_dir = value.into(),
            _ => return Err(format!("unknown option {key:?}")),
        }
    }
    if cfg.mode == Mode::Cookie && cfg.refresh_token_in == RefreshTokenIn::Body {
        return Err("--refresh-token body needs --mode bearer (cookie mode has no refresh token)".into());
    }
    Ok(Some(cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("250ms"), Ok(250));
        assert_eq!(parse_duration_ms("30s"), Ok(30_000));
        assert_eq!(parse_duration_ms("5m"), Ok(300_000));
        assert_eq!(parse_duration_ms("1h"), Ok(3_600_000));
        assert!(parse_duration_ms("5").is_err());
        assert!(parse_duration_ms("0s").is_err());
        assert!(parse_duration_ms("-1s").is_err());
        assert!(parse_duration_ms("99999999999999999h").is_err());
    }

    #[test]
    fn args_parse() {
        let cfg = parse_args(args(&[
            "--port",
            "0",
            "--mode=cookie",
            "--access-ttl",
            "1500ms",
            "--idle-timeout",
            "2m",
            "--users",
            "carol:pw",
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(cfg.port, 0);
        assert_eq!(cfg.mode, Mode::Cookie);
        assert_eq!(cfg.access_ttl_ms, 2000, "access ttl rounds up to whole seconds");
        assert_eq!(cfg.idle_timeout_ms, 120_000);
        assert_eq!(cfg.users, vec![("carol".to_string(), "pw".to_string())]);
        assert_eq!(cfg.refresh_token_in, RefreshTokenIn::Cookie, "the default");
        let body = parse_args(args(&["--refresh-token", "body"])).unwrap().unwrap();
        assert_eq!((body.mode, body.refresh_token_in), (Mode::Bearer, RefreshTokenIn::Body));
        assert!(parse_args(args(&["--refresh-token", "header"])).is_err());
        assert!(parse_args(args(&["--mode", "cookie", "--refresh-token", "body"])).is_err());
        assert!(parse_args(args(&["--help"])).unwrap().is_none());
        assert!(parse_args(args(&["--mode", "magic"])).is_err());
        assert!(parse_args(args(&["--port"])).is_err());
        assert!(parse_args(args(&["--users", "nopass"])).is_err());
        assert!(parse_args(args(&["--bogus", "1"])).is_err());
    }
}
