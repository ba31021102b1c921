//! Helpers shared by the browser test files.
#![allow(dead_code)] // each test file uses a different subset

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_session::Session;

pub fn options(pairs: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (key, value) in pairs {
        Reflect::set(&object, &(*key).into(), value).unwrap();
    }
    object
}

pub fn num(n: f64) -> JsValue {
    JsValue::from_f64(n)
}

/// A unique channel name per test, so tests in one page do not hear each other.
pub fn channel() -> JsValue {
    let n = (js_sys::Math::random() * 1e12) as u64;
    JsValue::from_str(&format!("test-{n}"))
}

pub fn session(pairs: &[(&str, JsValue)]) -> Session {
    Session::new(Some(options(pairs).unchecked_into())).unwrap()
}

pub fn tokens(pairs: &[(&str, JsValue)]) -> JsValue {
    options(pairs).into()
}

/// Records every event a session emits.
#[derive(Clone, Default)]
pub struct Recorder(pub Rc<RefCell<Vec<JsValue>>>);

impl Recorder {
    pub fn attach(session: &Session) -> Recorder {
        let recorder = Recorder::default();
        let sink = recorder.0.clone();
        let callback = Closure::<dyn FnMut(JsValue)>::new(move |event| sink.borrow_mut().push(event));
        session.on_any(callback.as_ref().unchecked_ref::<Function>().clone()).unwrap();
        callback.forget(); // test-only: lives for the page
        recorder
    }

    pub fn types(&self) -> Vec<String> {
        self.0.borrow().iter().map(|e| field(e, "type")).collect()
    }

    pub fn find(&self, kind: &str) -> Option<JsValue> {
        self.0.borrow().iter().find(|e| field(e, "type") == kind).cloned()
    }

    pub fn count(&self, kind: &str) -> usize {
        self.types().iter().filter(|t| *t == kind).count()
    }
}

pub fn field(object: &JsValue, name: &str) -> String {
    Reflect::get(object, &name.into()).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

pub fn state(session: &Session) -> String {
    JsValue::from(session.state()).as_string().unwrap_or_default()
}

pub async fn sleep(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

/// Waits until `condition` holds, up to `max_ms`. Returns whether it did.
pub async fn until(max_ms: u32, condition: impl Fn() -> bool) -> bool {
    let mut waited = 0;
    while !condition() {
        if waited >= max_ms {
            return false;
        }
        sleep(20).await;
        waited += 20;
    }
    true
}

pub fn js(code: &str) -> JsValue {
    js_sys::eval(code).unwrap()
}

/// Puts back the real `window.fetch` after a test scripted it.
pub fn restore_fetch() {
    js("window.fetch = window.__realFetch || window.fetch;");
}
