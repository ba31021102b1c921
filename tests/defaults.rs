//! Browser tests of two defaults: which sessions share state when the app sets
//! no `channelName`, and which DOM events count as activity.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use wasm_session::Session;

mod common;
use common::*;

wasm_bindgen_test_configure!(run_in_browser);

/// An app's options without `channelName`, told apart by its client id (a
/// unique suffix keeps the tests of this page from hearing each other).
fn app(client_id: &str) -> Vec<(&'static str, JsValue)> {
    vec![("bodyFields", options(&[("client_id", client_id.into())]).into())]
}

fn unique(name: &str) -> String {
    format!("{name}-{}", (js_sys::Math::random() * 1e12) as u64)
}

#[wasm_bindgen_test]
async fn sessions_of_one_app_share_by_default() {
    let crm = unique("crm");
    let a = session(&app(&crm));
    let b = session(&app(&crm));
    a.start(Some(tokens(&[("access_token", "crm-token".into())]).unchecked_into())).unwrap();
    assert!(until(5_000, || state(&b) == "active").await, "b joined a's session");
    assert_eq!(b.access_token().as_deref(), Some("crm-token"));
    a.logout().unwrap();
    assert!(until(5_000, || state(&b) == "loggedOut").await, "and ends with it");
    a.destroy();
    b.destroy();
}

#[wasm_bindgen_test]
async fn differently_configured_apps_share_nothing_by_default() {
    let (crm, wiki) = (unique("crm"), unique("wiki"));
    let crm_a = session(&app(&crm));
    let crm_b = session(&app(&crm));
    let wiki_tab: Session = session(&app(&wiki));
    let wiki_events = Recorder::attach(&wiki_tab);
    crm_a.start(Some(tokens(&[("access_token", "crm-token".into())]).unchecked_into())).unwrap();
    assert!(until(5_000, || state(&crm_b) == "active").await, "the crm tabs share");
    // A new wiki tab asks for the state: no crm tab answers it.
    let late_wiki = session(&app(&wiki));
    late_wiki.resume().unwrap();
    sleep(200).await;
    assert_eq!(state(&wiki_tab), "anonymous", "the wiki did not adopt the crm login");
    assert_eq!(state(&late_wiki), "anonymous", "nor answer a state request");
    assert_eq!(wiki_tab.access_token(), None);
    assert!(wiki_events.find("started").is_none());

    // The wiki's own session neither replaces nor ends the crm's.
    wiki_tab.start(Some(tokens(&[("access_token", "wiki-token".into())]).unchecked_into())).unwrap();
    assert!(until(5_000, || state(&late_wiki) == "active").await, "the wiki tabs share");
    wiki_tab.logout().unwrap();
    assert!(until(5_000, || state(&late_wiki) == "loggedOut").await);
    sleep(200).await;
    assert_eq!(state(&crm_a), "active", "the wiki's logout did not end the crm session");
    assert_eq!(state(&crm_b), "active");
    assert_eq!(crm_b.access_token().as_deref(), Some("crm-token"), "nor did its login replace the crm tokens");
    for s in [crm_a, crm_b, wiki_tab, late_wiki] {
        s.destroy();
    }
}

#[wasm_bindgen_test]
async fn scroll_is_not_activity_unless_the_app_lists_it() {
    let document = web_sys::window().unwrap().document().unwrap();
    let by_default = session(&[("channelName", channel())]);
    by_default.start(None).unwrap();
    let before = by_default.idle_deadline().unwrap();
    sleep(30).await;
    document.dispatch_event(&web_sys::Event::new("scroll").unwrap()).unwrap();
    assert_eq!(by_default.idle_deadline().unwrap(), before, "a page scrolling itself is nobody's activity");
    by_default.destroy();

    let listed = session(&[("channelName", channel()), ("activityEvents", js("['scroll']"))]);
    listed.start(None).unwrap();
    let before = listed.idle_deadline().unwrap();
    sleep(30).await;
    document.dispatch_event(&web_sys::Event::new("scroll").unwrap()).unwrap();
    assert!(listed.idle_deadline().unwrap() > before, "an app may count it");
    listed.destroy();
}
