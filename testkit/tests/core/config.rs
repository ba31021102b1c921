use wasm_session::core::config::MAX_DURATION_MS;
use wasm_session::core::{Config, ConfigErrorKind, ConfigInput};

fn with(f: impl FnOnce(&mut ConfigInput)) -> Result<Config, wasm_session::core::ConfigError> {
    let mut input = ConfigInput::default();
    f(&mut input);
    Config::from_input(&input)
}

fn error_of(f: impl FnOnce(&mut ConfigInput)) -> (String, ConfigErrorKind) {
    let error = with(f).expect_err("config must be rejected");
    (error.field.into_owned(), error.kind)
}

#[test]
fn defaults_are_valid_and_documented_values() {
    let config = Config::from_input(&ConfigInput::default()).expect("defaults are valid");
    assert_eq!(config.idle_timeout_ms, 15 * 60_000);
    assert_eq!(config.warn_before_ms, 60_000);
    assert_eq!(config.absolute_timeout_ms, 8 * 3_600_000);
    assert_eq!(config.countdown_interval_ms, 1_000);
    assert_eq!(config, Config::default());
}

#[test]
fn short_idle_timeout_gets_a_proportionate_default_warning() {
    let config = with(|c| c.idle_timeout_ms = Some(30_000.0)).expect("valid");
    assert_eq!(config.warn_before_ms, 15_000);
    assert!(config.activity_broadcast_interval_ms <= config.warn_before_ms / 2);
}

#[test]
fn warning_must_come_before_the_idle_deadline() {
    let problem = error_of(|c| {
        c.idle_timeout_ms = Some(60_000.0);
        c.warn_before_ms = Some(60_000.0);
    });
    assert_eq!(problem, ("warnBeforeMs".to_owned(), ConfigErrorKind::WarningNotBeforeDeadline));
}

#[test]
fn zero_and_negative_durations_are_rejected() {
    assert_eq!(error_of(|c| c.idle_timeout_ms = Some(0.0)), ("idleTimeoutMs".to_owned(), ConfigErrorKind::NotPositive));
    assert_eq!(error_of(|c| c.warn_before_ms = Some(-5.0)), ("warnBeforeMs".to_owned(), ConfigErrorKind::NotPositive));
    assert_eq!(
        error_of(|c| c.refresh_jitter_ms = Some(-1.0)),
        ("refreshJitterMs".to_owned(), ConfigErrorKind::Negative)
    );
    assert!(with(|c| c.refresh_jitter_ms = Some(0.0)).is_ok(), "zero jitter is allowed");
}

#[test]
fn non_finite_numbers_are_rejected() {
    assert_eq!(
        error_of(|c| c.idle_timeout_ms = Some(f64::NAN)),
        ("idleTimeoutMs".to_owned(), ConfigErrorKind::NotFinite)
    );
    assert_eq!(
        error_of(|c| c.absolute_timeout_ms = Some(f64::INFINITY)),
        ("absoluteTimeoutMs".to_owned(), ConfigErrorKind::NotFinite)
    );
}

#[test]
fn absolute_shorter_than_idle_is_rejected() {
    let problem = error_of(|c| {
        c.idle_timeout_ms = Some(3_600_000.0);
        c.absolute_timeout_ms = Some(1_800_000.0);
    });
    assert_eq!(problem, ("absoluteTimeoutMs".to_owned(), ConfigErrorKind::AbsoluteShorterThanIdle));
}

#[test]
fn long_idle_timeout_raises_the_default_absolute_cap() {
    let config = with(|c| c.idle_timeout_ms = Some(10.0 * 3_600_000.0)).expect("valid");
    assert_eq!(config.absolute_timeout_ms, config.idle_timeout_ms);
}

#[test]
fn fractions_are_truncated_and_huge_values_rejected() {
    assert_eq!(with(|c| c.idle_timeout_ms = Some(120_000.9)).expect("valid").idle_timeout_ms, 120_000);
    let too_long = (MAX_DURATION_MS + 1) as f64;
    assert_eq!(
        error_of(|c| c.absolute_timeout_ms = Some(too_long)),
        ("absoluteTimeoutMs".to_owned(), ConfigErrorKind::TooLarge)
    );
}

#[test]
fn retry_cap_below_initial_is_rejected() {
    let problem = error_of(|c| {
        c.retry_initial_ms = Some(5_000.0);
        c.retry_max_ms = Some(1_000.0);
    });
    assert_eq!(problem, ("retryMaxMs".to_owned(), ConfigErrorKind::RetryMaxBelowInitial));
}

#[test]
fn activity_broadcast_must_be_frequent_enough_for_other_tabs() {
    let problem = error_of(|c| {
        c.warn_before_ms = Some(10_000.0);
        c.activity_broadcast_interval_ms = Some(6_000.0);
    });
    assert_eq!(problem, ("activityBroadcastIntervalMs".to_owned(), ConfigErrorKind::BroadcastSlowerThanWarning));
}

#[test]
fn error_message_names_the_field() {
    let error = with(|c| c.warn_before_ms = Some(0.0)).expect_err("rejected");
    assert_eq!(error.to_string(), "warnBeforeMs must be greater than zero");
    assert_eq!(wasm_session::core::ConfigError::CODE, "invalid_config");
}

#[test]
fn shell_options_have_defaults_and_are_checked() {
    use wasm_session::core::{ShellOptions, StorageChoice};
    let options = ShellOptions::from_input(&ConfigInput::default()).expect("defaults are valid");
    assert_eq!(options.channel_name, "wasm-session");
    assert_eq!(options.activity_events, ["pointerdown", "pointermove", "keydown", "wheel", "touchstart"]);
    assert!(!options.activity_events.iter().any(|e| e == "scroll"), "a page that scrolls itself is not a person");
    assert_eq!(options.activity_throttle_ms, 1_000);
    assert_eq!(options.storage, StorageChoice::Memory);
    let bad = |f: fn(&mut ConfigInput)| {
        let mut input = ConfigInput::default();
        f(&mut input);
        ShellOptions::from_input(&input).expect_err("rejected").field.into_owned()
    };
    assert_eq!(bad(|c| c.storage = Some("cookie".into())), "storage");
    assert_eq!(bad(|c| c.channel_name = Some(String::new())), "channelName");
    assert_eq!(bad(|c| c.channel_name = Some("a b".into())), "channelName");
    assert_eq!(bad(|c| c.activity_events = Some(vec!["click".into(); 17])), "activityEvents");
    assert_eq!(bad(|c| c.activity_throttle_ms = Some(-1.0)), "activityThrottleMs");
}
