//! The state machine: machine configurations, then input sequences read from
//! bytes and checked after every step.

use super::*;

/// Short timeouts so that every transition is a few inputs away.
pub(super) fn small_config() -> Config {
    config_of(ConfigInput {
        idle_timeout_ms: Some(10.0 * MIN as f64),
        warn_before_ms: Some(MIN as f64),
        absolute_timeout_ms: Some(120.0 * MIN as f64),
        absolute_warn_before_ms: Some(2.0 * MIN as f64),
        activity_broadcast_interval_ms: Some(5.0 * SEC as f64),
        refresh_before_ms: Some(30.0 * SEC as f64),
        refresh_jitter_ms: Some(5.0 * SEC as f64),
        keepalive_every_ms: Some(SEC as f64),
        ..ConfigInput::default()
    })
}

fn config_of(input: ConfigInput) -> Config {
    Config::from_input(&input).expect("fuzz configs are valid")
}

/// The machine configurations the `machine` target picks from.
fn machine_config(selector: u8) -> Config {
    match selector % 4 {
        0 => config_of(ConfigInput { keepalive_every_ms: None, ..input_of(&small_config()) }),
        1 => small_config(),
        // Seconds: warnings, countdowns and expiries within a few inputs.
        2 => config_of(ConfigInput {
            idle_timeout_ms: Some(4_000.0),
            warn_before_ms: Some(2_000.0),
            absolute_timeout_ms: Some(10_000.0),
            absolute_warn_before_ms: Some(3_000.0),
            countdown_interval_ms: Some(500.0),
            activity_broadcast_interval_ms: Some(1_000.0),
            refresh_before_ms: Some(1_000.0),
            refresh_jitter_ms: Some(0.0),
            retry_initial_ms: Some(100.0),
            retry_max_ms: Some(1_000.0),
            keepalive_every_ms: Some(1_000.0),
            ..ConfigInput::default()
        }),
        _ => config_of(ConfigInput { keepalive_every_ms: Some(60_000.0), ..ConfigInput::default() }),
    }
}

/// What the `machine` target's machine is made with: the app's `refresh`
/// function or the refresh endpoint, keepalive, session and logout endpoints,
/// memory or session storage, and a `BroadcastChannel` or the storage
/// fallback (the bits of the selector `machine_config` does not use).
fn machine_setup(config: Config, selector: u8) -> Setup {
    let transport = Transport {
        refresh: Some(Endpoint::post("/refresh")),
        keepalive: Some(Endpoint::post("/keepalive")),
        session: Some(Endpoint::get("/session")),
        logout: Some(Endpoint::post("/logout")),
        mode: if selector & 0x20 != 0 { TokenMode::Cookie } else { TokenMode::Bearer },
        ..Transport::default()
    };
    let storage = if selector & 0x10 != 0 { StorageChoice::Session } else { StorageChoice::Memory };
    Setup { config, transport, refresh_hook: selector & 0x08 == 0, storage, parse_json: parse_ok }
}

fn input_of(config: &Config) -> ConfigInput {
    let ms = |value: u64| Some(value as f64);
    ConfigInput {
        idle_timeout_ms: ms(config.idle_timeout_ms),
        warn_before_ms: ms(config.warn_before_ms),
        absolute_timeout_ms: ms(config.absolute_timeout_ms),
        absolute_warn_before_ms: ms(config.absolute_warn_before_ms),
        countdown_interval_ms: ms(config.countdown_interval_ms),
        activity_broadcast_interval_ms: ms(config.activity_broadcast_interval_ms),
        refresh_before_ms: ms(config.refresh_before_ms),
        refresh_jitter_ms: ms(config.refresh_jitter_ms),
        retry_initial_ms: ms(config.retry_initial_ms),
        retry_max_ms: ms(config.retry_max_ms),
        keepalive_every_ms: config.keepalive_every_ms.and_then(ms),
        ..ConfigInput::default()
    }
}

/// What the machine target's opcodes do (opcode byte modulo the count).
const OPS: u8 = 27;

fn refresh_outcome(input: &mut Input, machine: &Machine, now: u64, counter: u8) -> RefreshOutcome {
    let (kind, arg) = (input.byte(), u64::from(input.byte()));
    let current = machine.tokens().and_then(|tokens| tokens.refresh_token.as_ref()).map(|rt| rt.expose().to_owned());
    let rotated = format!("rt-{counter}");
    let access = format!("at-{counter}");
    let failed = |failure, retry_after_ms| RefreshOutcome::Failed { failure, retry_after_ms };
    match kind % 12 {
        0 => RefreshOutcome::Success(TokenSet::bearer(&access, Some(&rotated), Some(now + arg * 10 * SEC))),
        1 => RefreshOutcome::Success(TokenSet::bearer(&access, None, Some(now + arg * SEC))),
        2 => RefreshOutcome::Success(TokenSet::bearer(&access, current.as_deref(), Some(now + arg * MIN))),
        3 => RefreshOutcome::Success(TokenSet::bearer(&access, Some(&rotated), None)),
        4 => RefreshOutcome::Success(TokenSet::bearer(&access, Some(&rotated), Some(now.saturating_sub(arg)))),
        5 => RefreshOutcome::Success(TokenSet::default()),
        6 => failed(RefreshFailure::Network, None),
        7 => failed(RefreshFailure::Timeout, None),
        8 => failed(RefreshFailure::Status(STATUSES[(arg % 16) as usize]), None),
        9 => failed(RefreshFailure::InvalidGrant, None),
        10 => failed(RefreshFailure::BadResponse, None),
        _ => failed(RefreshFailure::Status(503), Some(if arg == 255 { u64::MAX } else { arg * MIN })),
    }
}

fn remote_message(input: &mut Input, machine: &Machine, now: u64) -> Envelope {
    let (kind, epoch_choice, back, extra) = (input.byte(), input.byte(), input.byte(), input.byte());
    let at = now.saturating_sub(u64::from(back) * 5 * SEC);
    let epoch = match epoch_choice % 4 {
        0 | 1 => machine.epoch().or(Some(id(77))),
        2 => Some(id(77 + epoch_choice / 4 % 8)),
        _ => None,
    };
    let from = if extra == 0xFF { TAB } else { id(9 + extra % 4) };
    let tokens = TokenSet::bearer("remote-at", Some("remote-rt"), Some(at + u64::from(extra) * 10 * SEC));
    let snapshot = Snapshot {
        started_at: at.saturating_sub(u64::from(extra) * MIN),
        last_activity_at: at,
        tokens: tokens.clone(),
        generation: u64::from(extra % 8),
        tokens_received_at: at,
        absolute_cap: None,
        idle_cap: (extra % 3 == 1).then(|| at + u64::from(extra) * SEC),
        keepalive_at: (extra % 2 == 1).then_some(at),
        remember_me: extra % 5 == 0,
    };
    let reasons = EndReason::ALL;
    let message = match kind % 9 {
        0 => Message::Activity { at },
        1 => Message::StaySignedIn { at },
        2 => Message::Refreshed { tokens, generation: u64::from(extra % 8), received_at: at },
        3 => Message::Logout { reason: reasons[usize::from(extra) % reasons.len()] },
        4 => Message::Login(snapshot),
        5 => Message::StateResponse(snapshot),
        // What the storage fallback carries instead of the three above.
        6 => Message::Refreshed { tokens, generation: u64::from(extra % 8), received_at: at }.without_tokens(),
        7 if extra % 2 == 0 => Message::Login(snapshot).without_tokens(),
        7 => Message::StateResponse(snapshot).without_tokens(),
        _ => Message::StateRequest,
    };
    Envelope { from, epoch, message }
}

/// Random input sequences to one machine. The first byte picks the
/// configuration, then each operation is an opcode byte and its arguments
/// (see the match below); time moves forward by the advance operations. After
/// every input all effects and events are drained and the invariants checked.
pub fn machine(data: &[u8]) {
    let mut input = Input::new(data);
    let selector = input.byte();
    let config = machine_config(selector);
    let setup = machine_setup(config, selector);
    let mut machine = Machine::new(setup, TAB, u64::from(input.byte()));
    if selector & 0x40 != 0 {
        machine.handle_channel_opened(ChannelKind::Storage);
    }
    let mut checker = Checker::default();
    let mut now = T0;
    let mut counter = 0u8;
    let mut saved: Option<Value> = None;
    checker.before(&machine);
    machine.handle_timeout(now);
    checker.after(&mut machine);
    let mut steps = 0;
    while !input.is_empty() && steps < 2_000 {
        steps += 1;
        checker.before(&machine);
        let op = input.byte() % OPS;
        match op {
            0 => now += u64::from(input.byte()) * 100,
            1 => now += u64::from(input.byte()) * 10 * SEC,
            2 => now += u64::from(input.byte()) * 10 * MIN,
            3 => {
                // Exactly on, just before or just after the next deadline.
                let nudge = u64::from(input.byte() % 3);
                if let Some(deadline) = machine.poll_timeout() {
                    now = now.max(deadline - 1 + nudge);
                }
            }
            _ => {}
        }
        match op {
            0..=3 => machine.handle_timeout(now),
            4 => machine.handle_timeout(now.saturating_sub(u64::from(input.byte()) * SEC)),
            5 => machine.handle_activity(now),
            6 => machine.stay_signed_in(now),
            7 => {
                counter = counter.wrapping_add(1);
                let (kind, lifetime) = (input.byte(), u64::from(input.byte()));
                let tokens = match kind % 5 {
                    0 => TokenSet::default(),
                    1 => TokenSet::bearer("at", Some("rt-0"), None),
                    2 => TokenSet::bearer("at", Some("rt-0"), Some(now + lifetime * 5 * SEC)),
                    3 => TokenSet::bearer("at", None, Some(now + lifetime * MIN)),
                    _ => TokenSet::bearer("at", Some("rt-0"), Some(now.saturating_sub(lifetime))),
                };
                machine.login(now, id(100 + counter % 100), tokens);
            }
            8 => machine.logout(now),
            9 => {
                let started = machine.refresh_now(now);
                assert_eq!(started, machine.refresh_in_flight());
            }
            10 => machine.handle_online(now, input.byte() % 2 == 0),
            11 => machine.handle_revoked(now),
            12 => {
                // The note another tab left: none, this tab's generation, or one ahead.
                let ahead = input.byte() % 3;
                let note =
                    machine.epoch().zip(machine.token_generation()).filter(|_| ahead > 0).map(|(epoch, generation)| {
                        GenerationNote { epoch, started_at: 0, generation: generation + u64::from(ahead - 1) }
                    });
                if let Some(attempt) = checker.pending_locks.first().copied() {
                    machine.handle_lock_acquired(now, attempt, note);
                }
            }
            13 => machine.handle_lock_acquired(now, 10_000 + u64::from(input.byte()), None),
            14 => {
                counter = counter.wrapping_add(1);
                let outcome = refresh_outcome(&mut input, &machine, now, counter);
                if let Some(attempt) = checker.outstanding {
                    machine.handle_refresh_result(now, attempt, outcome);
                }
            }
            15 => {
                let outcome = refresh_outcome(&mut input, &machine, now, counter);
                machine.handle_refresh_result(now, 10_000 + u64::from(input.byte()), outcome);
            }
            16 => {
                let (kind, arg) = (input.byte(), u64::from(input.byte()));
                let outcome = match kind % 5 {
                    0 => KeepaliveOutcome::Alive { absolute_deadline: None, idle_deadline: None },
                    1 => KeepaliveOutcome::Alive {
                        absolute_deadline: Some(now + arg * MIN),
                        idle_deadline: Some(now + arg * SEC),
                    },
                    2 => KeepaliveOutcome::Alive {
                        absolute_deadline: Some(now.saturating_sub(arg * SEC)),
                        idle_deadline: None,
                    },
                    3 => KeepaliveOutcome::Revoked,
                    _ => KeepaliveOutcome::Failed,
                };
                if let Some(attempt) = checker.keepalive {
                    machine.handle_keepalive_result(now, attempt, outcome);
                }
            }
            17 => machine.handle_keepalive_result(now, 10_000 + u64::from(input.byte()), KeepaliveOutcome::Revoked),
            18 => {
                let (kind, arg) = (input.byte(), u64::from(input.byte()));
                let check = match kind % 4 {
                    0 => SessionCheck::SignedIn {
                        absolute_deadline: None,
                        idle_deadline: None,
                        remember_me: arg % 2 == 1,
                    },
                    1 => SessionCheck::SignedIn {
                        absolute_deadline: Some(now + arg * MIN),
                        idle_deadline: Some(now + arg * SEC),
                        remember_me: false,
                    },
                    2 => SessionCheck::SignedOut,
                    _ => SessionCheck::Unknown,
                };
                let epoch = if arg % 2 == 0 { machine.epoch().unwrap_or(id(150)) } else { id(150 + (arg % 50) as u8) };
                machine.handle_session_check(now, epoch, check);
            }
            19 => {
                let envelope = remote_message(&mut input, &machine, now);
                let result = machine.handle_message(now, envelope.clone());
                if envelope.from == TAB {
                    assert!(result.is_err(), "a message from this tab was taken");
                }
            }
            20 => {
                let len = usize::from(input.byte());
                let text = text(input.bytes(len));
                if let Ok(envelope) = decode_text(&text) {
                    let _ = machine.handle_message(now, envelope);
                }
            }
            21 => machine.request_state(now),
            22 => saved = machine.stored_session().or(saved),
            23 => {
                if let Some(stored) = &saved {
                    let _ = machine.restore(now, stored);
                }
            }
            24 => {
                let len = usize::from(input.byte());
                let text = text(input.bytes(len));
                let _ = machine.restore(now, &json::parse(&text).unwrap_or(Value::String(text)));
            }
            25 => {
                let (trigger, n) = (input.byte(), input.byte());
                let trigger = if trigger % 2 == 0 { CheckTrigger::Resume } else { CheckTrigger::Wake };
                machine.check_session(now, trigger, id(150 + n % 50));
            }
            _ => {
                // An answer to the latest request out, or to a made-up id.
                let (which, status, body) = (input.byte(), input.u16(), input.byte());
                let body = match body % 4 {
                    0 => Body::Empty,
                    1 => Body::Json(
                        json::parse(r#"{"signedIn":false,"access_token":"at-x","expires_in":60}"#).expect("JSON"),
                    ),
                    2 => Body::NotJson,
                    _ => Body::TooLarge,
                };
                let answer = match status % 6 {
                    0 => FetchAnswer::Network,
                    1 => FetchAnswer::Timeout,
                    2 => FetchAnswer::Redirected,
                    _ => FetchAnswer::Response(Response::new(STATUSES[usize::from(which) % STATUSES.len()], body)),
                };
                let id = match which % 4 {
                    0 => checker.session_check,
                    1 => checker.keepalive,
                    2 => checker.outstanding,
                    _ => Some(10_000 + u64::from(status)),
                };
                if let Some(id) = id {
                    machine.handle_fetch_answer(now, id, answer);
                }
            }
        }
        checker.after(&mut machine);
    }
}
