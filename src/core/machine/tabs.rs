//! The other tabs: their messages, the sessions they share (a login, an answer
//! to a state request), and the stored session a reload resumes, which is as
//! untrusted as a message and checked the same way.
//!
//! Where the channel may not carry tokens (the storage fallback), the tabs
//! share a session's life (activity, warnings, logout) but each holds its own
//! access token: a notice that another tab refreshed makes this one forget a
//! refresh token that may have rotated, and a notice of a session joins it
//! without tokens, then refreshes (by cookie) for a token of its own, unless
//! the refresh token lives in the sender's memory, which no other tab can get.

use super::super::protocol::{decode, EndReason, Envelope, Epoch, Message, ProtocolError, Snapshot};
use super::super::value::Value;
use super::super::EpochMs;
use super::live::{Adoption, Live, Phase, Refresh, State};
use super::types::{Effect, Event, Origin};
use super::Machine;

impl Machine {
    /// A message from another tab. Rejections are typed; the state is unchanged
    /// by a rejected message.
    pub fn handle_message(&mut self, now: EpochMs, mut envelope: Envelope) -> Result<(), ProtocolError> {
        let now = self.catch_up(now);
        if envelope.from == self.tab_id {
            return Err(ProtocolError::FromSelf);
        }
        let epoch = envelope.epoch.as_ref();
        let how = match envelope.message {
            Message::Login(_) | Message::SessionExists { login: true, .. } => Adoption::Login,
            _ => Adoption::Answer,
        };
        match &mut envelope.message {
            Message::StateRequest => {
                self.broadcast_live(false);
                Ok(())
            }
            Message::Login(snapshot) | Message::StateResponse(snapshot) => self.adopt(now, epoch, snapshot, how),
            Message::SessionExists { snapshot, refresh_token_held, .. } => {
                self.hear_of_session(now, epoch, how, snapshot, *refresh_token_held)
            }
            message => {
                let live = match &mut self.state {
                    State::Live(live) if epoch.is_some_and(|epoch| *epoch == live.epoch) => live,
                    _ => {
                        let Some(epoch) = epoch else { return Err(ProtocolError::WrongEpoch) };
                        // The tail of a session that ended here (a tab that had
                        // not heard the logout yet) is told apart from the
                        // words of a session this tab never knew.
                        let ended = self.ended_epochs.contains(epoch);
                        // A logout that overtook its session's login: the login,
                        // when it comes, is of an ended session; so is a
                        // "signed in" held meanwhile, or one to a check sent
                        // before (`last_end_at`).
                        if let Message::Logout { .. } = message {
                            self.remember_ended(epoch);
                            self.joining.drop_held();
                            self.last_end_at = Some(now);
                        }
                        return Err(match self.state {
                            _ if ended => ProtocolError::EndedEpoch,
                            // No session here at all: the words of a live one
                            // (a joining tab hears its refresh before the answer).
                            State::Anonymous => ProtocolError::NotJoined,
                            _ => ProtocolError::WrongEpoch,
                        });
                    }
                };
                match message {
                    Message::Activity { at } | Message::StaySignedIn { at } => {
                        self.take_activity((*at).min(now), Origin::OtherTab);
                    }
                    Message::Refreshed { tokens, .. } if live.tokens.identity.conflicts(&tokens.identity) => {
                        // Tokens for another user than the one this tab knows.
                        self.user_changed();
                    }
                    Message::Refreshed { tokens, generation, received_at } => {
                        if *generation > live.generation {
                            let received_at = (*received_at).min(now);
                            live.take_newer_tokens(tokens, *generation, received_at, &self.config, &mut self.jitter);
                            let expires_at = live.tokens.expires_at;
                            self.events.push(Event::Refreshed { expires_at, origin: Origin::OtherTab });
                        }
                    }
                    Message::TokensChanged { generation, .. } => {
                        if *generation > live.generation {
                            // Its refresh may have rotated the refresh token we
                            // hold: never present it. Our access token stays ours.
                            live.tokens.refresh_token = None;
                        }
                    }
                    Message::Logout { reason } => {
                        let reason = if *reason == EndReason::User { EndReason::OtherTab } else { *reason };
                        self.end(reason, Origin::OtherTab);
                    }
                    Message::StateRequest
                    | Message::Login(_)
                    | Message::StateResponse(_)
                    | Message::SessionExists { .. } => {}
                }
                self.advance(now);
                Ok(())
            }
        }
    }

    /// Resume the session stored by [`Machine::stored_session`] (this page
    /// before a reload, or another tab through shared storage). Stored data is
    /// as untrusted as a cross-tab message and checked the same way: a
    /// malformed, ended, expired or older session is rejected and changes
    /// nothing; a live session of the same epoch takes what is newer.
    pub fn restore(&mut self, now: EpochMs, stored: &Value) -> Result<(), ProtocolError> {
        let now = self.catch_up(now);
        let mut envelope = decode(stored)?;
        match &mut envelope.message {
            Message::StateResponse(snapshot) | Message::Login(snapshot) => {
                self.adopt(now, envelope.epoch.as_ref(), snapshot, Adoption::Restore)
            }
            _ => Err(ProtocolError::BadField("kind")),
        }
    }

    /// Ask the other tabs for their session (a new tab does this at start-up).
    pub fn request_state(&mut self, now: EpochMs) {
        self.catch_up(now);
        self.joining.asked(now);
        self.ask_state();
    }

    /// Asks the other tabs for their session.
    pub(super) fn ask_state(&mut self) {
        let envelope = Envelope { from: self.tab_id, epoch: None, message: Message::StateRequest };
        self.effects.push(Effect::Broadcast(envelope));
    }

    // ----- internals ------------------------------------------------------

    /// A session exists in another tab, heard without its tokens. The same
    /// session: take its activity. Another, or none here: join it without
    /// tokens and refresh for our own, unless its refresh token lives in the
    /// sender's memory (we could never refresh: stay out of it).
    fn hear_of_session(
        &mut self,
        now: EpochMs,
        epoch: Option<&Epoch>,
        how: Adoption,
        snapshot: &mut Snapshot,
        refresh_token_held: bool,
    ) -> Result<(), ProtocolError> {
        if let State::Live(live) = &mut self.state {
            if epoch.is_some_and(|epoch| *epoch == live.epoch) {
                let at = snapshot.last_activity_at.min(now);
                live.last_activity_at = live.last_activity_at.max(at);
                self.advance(now);
                return Ok(());
            }
        }
        if refresh_token_held {
            return Ok(());
        }
        self.adopt(now, epoch, snapshot, how)?;
        self.refresh_for_token(now, false);
        Ok(())
    }

    /// Join, merge or replace with another tab's session.
    fn adopt(
        &mut self,
        now: u64,
        epoch: Option<&Epoch>,
        snapshot: &mut Snapshot,
        how: Adoption,
    ) -> Result<(), ProtocolError> {
        let epoch = epoch.ok_or(ProtocolError::BadField("epoch"))?;
        // Times from another tab are never in our future.
        let started_at = snapshot.started_at.min(now);
        // Ended here, or anywhere in the browser (a tombstone), or older than a
        // session that ended (which had replaced it everywhere).
        if self.ended_epochs.contains(epoch) || self.tombstones.ends(*epoch, started_at, now) {
            return Err(ProtocolError::EndedEpoch);
        }
        let last_activity_at = snapshot.last_activity_at.min(now).max(started_at);
        let heard_keepalive = snapshot.keepalive_at.map(|at| at.min(now));
        self.note_word_heard(epoch, snapshot);
        let mut candidate = Live {
            epoch: *epoch,
            started_at,
            last_activity_at,
            last_broadcast_at: None,
            tokens: core::mem::take(&mut snapshot.tokens),
            generation: snapshot.generation,
            tokens_received_at: snapshot.tokens_received_at.min(now),
            refresh: Refresh::Unneeded,
            phase: Phase::Active,
            keepalive: self.fresh_keepalive(heard_keepalive.unwrap_or(now)),
            absolute_cap: snapshot.absolute_cap,
            idle_cap: snapshot.idle_cap,
            remember_me: snapshot.remember_me,
        };
        if now >= candidate.idle_deadline(&self.config).min(candidate.absolute_deadline(&self.config)) {
            return Err(ProtocolError::StaleSnapshot);
        }
        match &mut self.state {
            State::Live(live) if live.epoch == *epoch => {
                // The same session: merge what is newer; the user must be the same.
                if !self.check_identity(&candidate.tokens.identity, false) {
                    return Ok(());
                }
                let State::Live(live) = &mut self.state else { return Ok(()) };
                if candidate.last_activity_at > live.last_activity_at {
                    live.last_activity_at = candidate.last_activity_at;
                }
                live.take_word(now, candidate.absolute_cap, candidate.idle_cap);
                if let (Some(keepalive), Some(at)) = (&mut live.keepalive, heard_keepalive) {
                    keepalive.heard(at);
                }
                if candidate.generation > live.generation {
                    // `check_identity` learned what the candidate knows of the user.
                    let (generation, received_at) = (candidate.generation, candidate.tokens_received_at);
                    live.take_newer_tokens(
                        &mut candidate.tokens,
                        generation,
                        received_at,
                        &self.config,
                        &mut self.jitter,
                    );
                }
                self.advance(now);
                return Ok(());
            }
            State::Live(live) => {
                // Two logins: the later one wins everywhere.
                // (started_at, epoch) ordered, the epochs compared in place.
                let (ours, theirs) = (live.started_at, candidate.started_at);
                if theirs < ours || (theirs == ours && candidate.epoch < live.epoch) {
                    if how == Adoption::Login {
                        self.broadcast_live(false);
                    }
                    return Ok(());
                }
            }
            State::Anonymous | State::Ended { .. } => {}
        }
        match how {
            Adoption::Restore => self.begin(now, candidate, Origin::Local, false),
            // Every tab that adopts a later login over its live session buries
            // the replaced one: the tab that signed in may not have known it.
            Adoption::Login | Adoption::Answer => self.begin_replacing(now, candidate, Origin::OtherTab, false),
        }
        self.end_if_logout_asked(started_at);
        Ok(())
    }
}
