//! Cryptographically secure randomness (`crypto.getRandomValues`).
//!
//! The core is deterministic and takes randomness as input: a tab id, request
//! ids, the seed of the jitter that spreads refreshes across tabs. This file
//! draws those from the browser's CSPRNG through `getrandom` (0.4, feature
//! `wasm_js`, which needs no `--cfg getrandom_backend` flag) so that the
//! crate never falls back to `Math.random`.

use std::fmt;

/// The browser's CSPRNG failed (no `crypto` global, or it threw).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomError {
    source: getrandom::Error,
}

impl fmt::Display for RandomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no secure random source: {}", self.source)
    }
}

impl std::error::Error for RandomError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl From<getrandom::Error> for RandomError {
    fn from(source: getrandom::Error) -> Self {
        RandomError { source }
    }
}

/// Fills `bytes` with secure random bytes (any length; large buffers are
/// drawn in chunks of the 64 KiB `getRandomValues` allows).
pub fn fill(bytes: &mut [u8]) -> Result<(), RandomError> {
    getrandom::fill(bytes).map_err(RandomError::from)
}

/// A random 128-bit identifier (tab ids, request ids).
pub fn id128() -> Result<[u8; 16], RandomError> {
    let mut id = [0u8; 16];
    fill(&mut id)?;
    Ok(id)
}

/// A random 64-bit seed (for the core's jitter generator).
pub fn seed_u64() -> Result<u64, RandomError> {
    // From the one `id128` draw: no `getrandom::u64` code of its own.
    let [a, b, c, d, e, f, g, h, ..] = id128()?;
    Ok(u64::from_le_bytes([a, b, c, d, e, f, g, h]))
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn ids_differ_and_are_not_zero() {
        let a = id128().unwrap();
        let b = id128().unwrap();
        assert_ne!(a, b);
        assert_ne!(a, [0; 16]);
        assert_ne!(b, [0; 16]);
    }

    #[wasm_bindgen_test]
    fn seeds_differ() {
        // Two equal 64-bit draws: probability 2^-64.
        assert_ne!(seed_u64().unwrap(), seed_u64().unwrap());
    }

    #[wasm_bindgen_test]
    fn fills_buffers_larger_than_one_get_random_values_call() {
        let mut big = vec![0u8; 100_000];
        fill(&mut big).unwrap();
        // Each 64 KiB chunk was written: no long run of zeros anywhere.
        assert!(big.chunks(1024).all(|chunk| chunk.iter().any(|&b| b != 0)));
        let mut empty = [0u8; 0];
        fill(&mut empty).unwrap();
    }
}
