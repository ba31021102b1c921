//! Random ids, HS256 JWTs, cookie and header helpers.

use axum::http::{header, HeaderMap, HeaderValue};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// 128 random bits as 32 lowercase hex digits.
pub fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("OS random number generator unavailable");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A fresh 256-bit signing key.
pub fn random_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).expect("OS random number generator unavailable");
    key
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub sid: String,
    /// Epoch seconds.
    pub iat: u64,
    /// Epoch seconds.
    pub exp: u64,
}

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length")
}

pub fn sign_jwt(key: &[u8], claims: &Claims) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default());
    let signing_input = format!("{header}.{payload}");
    let mut m = mac(key);
    m.update(signing_input.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(m.finalize().into_bytes());
    format!("{signing_input}.{sig}")
}

/// Checks the header and the signature (constant time); does NOT check `exp`.
pub fn verify_jwt(key: &[u8], token: &str) -> Option<Claims> {
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    if header.get("alg")?.as_str()? != "HS256" {
        return None;
    }
    let sig = URL_SAFE_NO_PAD.decode(s).ok()?;
    let mut m = mac(key);
    m.update(h.as_bytes());
    m.update(b".");
    m.update(p.as_bytes());
    m.verify_slice(&sig).ok()?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()
}

/// The value of cookie `name` from the request's `Cookie` headers.
pub fn get_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_string())
        .filter(|v| !v.is_empty())
}

pub fn get_header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let v = get_header(headers, "authorization")?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string()).filter(|t| !t.is_empty())
}

/// Whether the request reached us (or the proxy in front of us) over https.
pub fn is_https(headers: &HeaderMap, scheme: Option<&str>) -> bool {
    let forwarded = get_header(headers, "x-forwarded-proto")
        .and_then(|v| v.split(',').next().map(|s| s.trim().eq_ignore_ascii_case("https")));
    forwarded.unwrap_or(false) || scheme == Some("https")
}

/// A `Set-Cookie` value. `value: None` clears the cookie (`Max-Age=0`).
pub fn set_cookie(name: &str, value: Option<&str>, path: &str, http_only: bool, secure: bool) -> HeaderValue {
    lasting_cookie(name, value, path, http_only, secure, None)
}

/// [`set_cookie`], kept `max_age_ms` (whole seconds, at least one) when given:
/// a persistent cookie that outlives the browser (remember me). Without it, a
/// session cookie, gone when the browser closes.
pub fn lasting_cookie(
    name: &str,
    value: Option<&str>,
    path: &str,
    http_only: bool,
    secure: bool,
    max_age_ms: Option<u64>,
) -> HeaderValue {
    let mut c = format!("{name}={}; SameSite=Strict; Path={path}", value.unwrap_or(""));
    if value.is_none() {
        c.push_str("; Max-Age=0");
    } else if let Some(ms) = max_age_ms {
        c.push_str(&format!("; Max-Age={}", (ms / 1000).max(1)));
    }
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    // Names, paths and values are ours (hex ids), always valid header text.
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_roundtrip_and_tamper() {
        let key = random_key();
        let claims = Claims { sub: "alice".into(), sid: "s1".into(), iat: 10, exp: 40 };
        let jwt = sign_jwt(&key, &claims);
        assert_eq!(verify_jwt(&key, &jwt), Some(claims));
        assert_eq!(verify_jwt(&random_key(), &jwt), None, "other key");
        let mut parts: Vec<&str> = jwt.split('.').collect();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"sub":"bob","sid":"s1","iat":10,"exp":40}"#);
        parts[1] = &forged;
        assert_eq!(verify_jwt(&key, &parts.join(".")), None, "payload swapped");
        assert_eq!(verify_jwt(&key, "a.b"), None);
        assert_eq!(verify_jwt(&key, "not a jwt at all"), None);
    }

    #[test]
    fn ids_are_128_bit_hex_and_distinct() {
        let (a, b) = (random_hex(), random_hex());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn cookies() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; session=abc"));
        h.append(header::COOKIE, HeaderValue::from_static("csrf=xyz"));
        assert_eq!(get_cookie(&h, "session").as_deref(), Some("abc"));
        assert_eq!(get_cookie(&h, "csrf").as_deref(), Some("xyz"));
        assert_eq!(get_cookie(&h, "nope"), None);
        assert_eq!(set_cookie("s", Some("v"), "/", true, false), "s=v; SameSite=Strict; Path=/; HttpOnly");
        assert_eq!(set_cookie("s", None, "/auth", false, true), "s=; SameSite=Strict; Path=/auth; Max-Age=0; Secure");
    }
}
