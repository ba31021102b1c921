//! Who a session is for: the user the server names, kept with the session so
//! that an answer for somebody else ends it instead of carrying on as them.
//!
//! Two names are kept, and each is only ever compared with itself, since they
//! need not look alike: the `user` member of the server's answers (named by
//! `responseFields.user`, default `user`: a string, or an object's `id`) and the
//! access token's JWT `sub`. A name the session does not know yet is learned
//! from the first answer that gives it; a known name that an answer contradicts
//! is a change of user. Names are compared byte for byte and are at most
//! [`MAX_USER_LEN`] bytes; a longer one is not kept (an answer without it
//! changes nothing).

use super::value::{write_u64, Value};

/// Longest user name (or JWT `sub`) kept, in bytes.
pub const MAX_USER_LEN: usize = 256;

/// The user a session is for, as far as the answers so far have said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The `user` of the server's answers (`responseFields.user`).
    pub user: Option<String>,
    /// The access token's JWT `sub`.
    pub sub: Option<String>,
}

impl Identity {
    /// Whether `seen` names another user than this: a name both know, and differ on.
    pub fn conflicts(&self, seen: &Identity) -> bool {
        fn differ(known: &Option<String>, seen: &Option<String>) -> bool {
            matches!((known, seen), (Some(known), Some(seen)) if known != seen)
        }
        differ(&self.user, &seen.user) || differ(&self.sub, &seen.sub)
    }

    /// Takes the names `seen` gives that this does not know yet; whether any was new.
    /// Call only when [`Identity::conflicts`] is false.
    pub fn learn(&mut self, seen: &Identity) -> bool {
        fn learn(known: &mut Option<String>, seen: &Option<String>) -> bool {
            let new = known.is_none() && seen.is_some();
            if new {
                known.clone_from(seen);
            }
            new
        }
        let user = learn(&mut self.user, &seen.user);
        learn(&mut self.sub, &seen.sub) | user
    }
}

/// A name fit to keep: not empty, at most [`MAX_USER_LEN`] bytes.
pub fn bounded(text: &str) -> Option<String> {
    (!text.is_empty() && text.len() <= MAX_USER_LEN).then(|| text.to_owned())
}

/// A user name from an answer's `user` member: a string, or an object's `id`
/// (a string or a whole number, written in decimal).
pub fn user_id(user: &Value) -> Option<String> {
    let id = if user.as_object().is_some() { user.get("id")? } else { user };
    if let Some(n) = id.as_u64() {
        let mut text = String::new();
        write_u64(&mut text, n);
        return Some(text);
    }
    id.as_str().and_then(bounded)
}
