//! Which tabs share a session (`core::scope`): the default channel name is
//! derived from the configuration, so two differently configured apps on one
//! origin never share one, and every tab of one app does.

use wasm_session::core::config::is_name;
use wasm_session::core::keys;
use wasm_session::core::options::{self, Options};
use wasm_session::core::scope::{default_channel_name, fingerprint, resolve, CHANNEL_PREFIX};
use wasm_session::core::Transport;
use wasm_session_testkit::json;

const CRM: &str = "https://site.example/crm/index.html";
const WIKI: &str = "https://site.example/wiki/";

fn read_on(base: &str, text: &str) -> Options {
    options::read_on_page(&json::parse(text).expect("test JSON is valid"), base).expect("valid options")
}

fn channel(base: &str, text: &str) -> String {
    read_on(base, text).shell.channel_name
}

#[test]
fn the_default_name_is_the_prefix_and_sixteen_hex_digits() {
    let name = channel(CRM, "{}");
    assert_eq!(name.len(), CHANNEL_PREFIX.len() + 17, "{name}");
    assert!(name.starts_with("wasm-session-"), "{name}");
    let hex = name.get(CHANNEL_PREFIX.len() + 1..).unwrap();
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{name}");
    assert!(is_name(&name), "a valid channel name: {name}");
}

#[test]
fn the_fingerprint_is_stable_across_builds() {
    // Tabs of one app loaded from two releases must agree: these values are
    // FNV-1a 64 over the v1 encoding (checked against an independent
    // implementation) and must never change by accident.
    assert_eq!(fingerprint(&Transport::default(), ""), 0xbd04_c016_d64d_60c9);
    let oauth = Transport::oauth2("https://id.example/token", "crm", Some("https://id.example/revoke"));
    assert_eq!(fingerprint(&oauth, ""), 0x83f7_7845_7b7e_6fba);
    assert_eq!(default_channel_name(&Transport::default(), ""), "wasm-session-bd04c016d64d60c9");
}

#[test]
fn every_tab_of_one_app_gets_the_same_name() {
    let options = r#"{"endpoints":{"refresh":"/crm/auth/refresh","logout":"/crm/auth/logout"}}"#;
    let pages = [CRM, "https://site.example/crm/", "https://site.example/crm/orders/12?tab=2#top", ""];
    let names: Vec<String> = pages.iter().map(|page| channel(page, options)).collect();
    assert!(names.iter().all(|name| *name == names[0]), "absolute paths do not depend on the page: {names:?}");
}

#[test]
fn differently_configured_apps_get_different_names() {
    let base = r#"{"endpoints":{"refresh":"/auth/refresh","logout":"/auth/logout"}}"#;
    let others = [
        r#"{"endpoints":{"refresh":"/wiki/auth/refresh","logout":"/auth/logout"}}"#,
        r#"{"endpoints":{"refresh":"/auth/refresh","logout":"/auth/logout","session":"/auth/session"}}"#,
        r#"{"endpoints":{"refresh":{"url":"/auth/refresh","method":"PUT"},"logout":"/auth/logout"}}"#,
        r#"{"endpoints":{"refresh":"/auth/refresh","revocation":"/auth/logout"}}"#,
        r#"{"endpoints":{"refresh":"/auth/refresh","logout":"/auth/logout"},"mode":"cookie"}"#,
        r#"{"endpoints":{"refresh":"/auth/refresh","logout":"/auth/logout"},"bodyFields":{"client_id":"wiki"}}"#,
        r#"{"endpoints":{"refresh":"https://id.example/auth/refresh","logout":"/auth/logout"}}"#,
        "{}",
    ];
    let mut names = vec![channel(CRM, base)];
    for other in others {
        let name = channel(CRM, other);
        assert!(!names.contains(&name), "{other} shares {name}");
        names.push(name);
    }
    // The client id alone tells two OAuth clients of one server apart.
    let crm = Transport::oauth2("https://id.example/token", "crm", None);
    let wiki = Transport::oauth2("https://id.example/token", "wiki", None);
    assert_ne!(default_channel_name(&crm, CRM), default_channel_name(&wiki, CRM));
}

#[test]
fn page_relative_endpoints_are_told_apart_by_the_page_they_resolve_against() {
    let options = r#"{"endpoints":{"refresh":"auth/refresh"}}"#;
    assert_ne!(channel(CRM, options), channel(WIKI, options), "/crm/auth/refresh is not /wiki/auth/refresh");
    assert_eq!(channel(CRM, options), channel("https://site.example/crm/?x=1#y", options), "one directory");
}

#[test]
fn timing_headers_api_origins_and_field_names_do_not_split_an_app() {
    let base = r#"{"endpoints":{"refresh":"/auth/refresh"},"bodyFields":{"client_id":"crm","audience":"api"}}"#;
    let tuned = r#"{"endpoints":{"refresh":"/auth/refresh"},"bodyFields":{"audience":"api","client_id":"crm"},
        "idleTimeoutMs":600000,"warnBeforeMs":30000,"headers":{"X-App-Version":"2"},
        "apiOrigins":["https://api.example"],"responseFields":{"accessToken":"token"},"requestTimeoutMs":5000,
        "activityEvents":["keydown"],"storage":"session"}"#;
    assert_eq!(channel(CRM, base), channel(CRM, tuned), "body field order does not matter either");
}

#[test]
fn an_explicit_channel_name_wins() {
    let crm = r#"{"endpoints":{"refresh":"/crm/refresh"},"channelName":"suite"}"#;
    let wiki = r#"{"endpoints":{"refresh":"/wiki/refresh"},"channelName":"suite"}"#;
    assert_eq!(channel(CRM, crm), "suite");
    assert_eq!(channel(WIKI, wiki), "suite", "apps that want to share set the same name");
}

#[test]
fn the_lock_and_the_storage_namespace_follow_the_channel() {
    let crm = channel(CRM, r#"{"endpoints":{"refresh":"/crm/refresh"}}"#);
    let wiki = channel(WIKI, r#"{"endpoints":{"refresh":"/wiki/refresh"}}"#);
    assert_ne!(keys::refresh_lock_name(&crm), keys::refresh_lock_name(&wiki));
    assert_ne!(keys::data_key(&crm, keys::STORED_SESSION), keys::data_key(&wiki, keys::STORED_SESSION));
    assert_ne!(keys::channel_key(&crm), keys::channel_key(&wiki));
    let wiki_key = keys::data_key(&wiki, keys::STORED_SESSION);
    assert!(!wiki_key.starts_with(&keys::data_prefix(&crm)), "one app's logout wipe never reaches the other's keys");
}

#[test]
fn urls_resolve_like_the_page_would_for_hashing() {
    let cases = [
        ("https://id.example/token", CRM, "https://id.example/token"),
        ("/auth/refresh", CRM, "/auth/refresh"),
        ("//id.example/token", CRM, "https://id.example/token"),
        ("auth/refresh", CRM, "https://site.example/crm/auth/refresh"),
        ("auth/refresh", "https://site.example/crm/app?x=/y/z#/a/b", "https://site.example/crm/auth/refresh"),
        ("auth/refresh", "https://site.example", "https://site.example/auth/refresh"),
        ("auth/refresh", "https://site.example?q=/a/", "https://site.example/auth/refresh"),
        ("?op=refresh", "https://site.example/crm/app?x=1#f", "https://site.example/crm/app?op=refresh"),
        ("#x", "https://site.example/crm/app?x=1#f", "https://site.example/crm/app?x=1#x"),
        ("auth/refresh", "", "auth/refresh"),
    ];
    for (url, base, expected) in cases {
        assert_eq!(resolve(url, base), expected, "{url} on {base}");
    }
}

proptest::proptest! {
    #![proptest_config(super::proptest_config(256))]

    /// Hostile endpoint URLs and base URLs never panic, and always give a name
    /// the shell can use.
    #[test]
    fn any_url_and_base_give_a_usable_name(url in "\\PC{0,40}", base in "\\PC{0,40}", refresh in "[a-z:/?#.\\[\\]]{0,20}") {
        let _ = resolve(&url, &base);
        let _ = wasm_session::core::endpoints::api_origin(&url);
        let transport = Transport { refresh: Some(wasm_session::core::Endpoint::post(&refresh)), ..Transport::default() };
        let name = default_channel_name(&transport, &base);
        proptest::prop_assert!(is_name(&name), "{name}");
    }
}
