//! The test side of the core's encodings: building JWTs and reading form
//! bodies, by hand, so the tests never check the core against itself.

/// base64url without padding.
#[allow(clippy::indexing_slicing)] // test code: the index is masked to 0..64
pub fn b64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// An unsigned JWT (the client never checks signatures) whose payload is the
/// text `claims`, which need not be JSON.
pub fn jwt(claims: &str) -> String {
    format!("{}.{}.sig", b64url(br#"{"alg":"RS256","typ":"JWT"}"#), b64url(claims.as_bytes()))
}

/// The inverse of the core's `form_encode`: `name=value` pairs, `+` and `%XX`
/// decoded. Panics on text the encoder never writes.
pub fn form_decode(text: &str) -> Vec<(String, String)> {
    fn component(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii");
                    out.push(u8::from_str_radix(hex, 16).expect("hex"));
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).expect("utf-8")
    }
    if text.is_empty() {
        return Vec::new();
    }
    text.split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').expect("name=value");
            (component(name), component(value))
        })
        .collect()
}
