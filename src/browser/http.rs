//! `fetch`, with a timeout, no redirects, and a cap on what is read.
//!
//! The shell's only network primitive: it sends what the core decided to send
//! and hands back the status, the three headers the endpoint contract reads
//! (`Date`, `Retry-After`, `Content-Type`) and the body, parsed by the browser.
//! What the answer means is decided in `core`. `window.fetch` is looked up at
//! call time, so a page (or a test) may wrap or replace it.
//!
//! - **Redirects are not followed** (`redirect: "manual"`): a 307 or 308 would
//!   re-send the refresh token or the CSRF header wherever it points. A
//!   redirect comes back as [`FetchAnswer::Redirected`], for the core to read.
//! - **Bodies are read through a stream reader** that keeps at most
//!   `max_body` bytes: the first chunk that passes the cap ends the read as
//!   too large and cancels the rest, whatever `Content-Length` says (a chunked
//!   or compressed answer has none, or a smaller one). The bytes stay in JS: the browser decodes them (`TextDecoder`) and parses
//!   them (`JSON.parse`); only the parsed value is walked into wasm, within
//!   [`Limits::ANSWER`] (past a limit it is not JSON the SDK can use).

use js_sys::{Array, JsString, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, ReadableStreamDefaultReader, Response};

use super::timers::Timer;
use super::value::{self, parse_js, Limits};
use crate::core::{Body, FetchAnswer, Request, Response as Answer, RetryAfter};

#[wasm_bindgen]
extern "C" {
    /// `TextDecoder` (UTF-8, invalid bytes replaced, like `Response.text()`);
    /// its result stays a JS string.
    type TextDecoder;
    #[wasm_bindgen(constructor, catch)]
    fn new() -> Result<TextDecoder, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn decode(this: &TextDecoder, bytes: &Uint8Array) -> Result<JsString, JsValue>;
}

/// Sets `init[key] = value`. The init is a plain object: one `Reflect.set`
/// import instead of a typed setter (and an enum table in the glue) per field.
fn set(init: &Object, key: &str, value: &JsValue) {
    let _ = super::put(init, key, value);
}

/// Calls the global `fetch(input, init)`, looked up at call time (apps and
/// tests may wrap it) on `globalThis`: a window, or Node in an app's unit
/// tests. A wrapper's thenable or plain value is taken as `await` would.
pub fn call_fetch(input: &JsValue, init: &JsValue) -> Result<Promise, JsValue> {
    let global = js_sys::global();
    let fetch = super::get(&global, "fetch")?
        .dyn_into::<js_sys::Function>()
        .map_err(|_| js_sys::TypeError::new("fetch is not available"))?;
    Ok(Promise::resolve(&fetch.call2(&global, input, init)?))
}

/// Sends `request` (built by the core) without following redirects; keeps at
/// most `max_body_bytes` of the body (the chunk that passes it means "too large").
/// A body whose `Content-Length` is over `max_body_bytes` is not downloaded at
/// all. The timeout covers the body too.
pub async fn send(request: &Request) -> FetchAnswer {
    let max_body = request.max_body_bytes;
    let init = Object::new();
    set(&init, "method", &request.method.as_str().into());
    set(&init, "credentials", &request.credentials.as_str().into());
    set(&init, "redirect", &"manual".into());
    set(&init, "keepalive", &request.keepalive.into());
    let Ok(headers) = Headers::new() else { return FetchAnswer::Network };
    for (name, value) in &request.headers {
        if headers.set(name, value).is_err() {
            return FetchAnswer::Network;
        }
    }
    set(&init, "headers", &headers);
    if let Some(body) = &request.body {
        set(&init, "body", &body.into());
    }
    let controller = AbortController::new().ok();
    if let Some(controller) = &controller {
        set(&init, "signal", &controller.signal());
    }
    // Aborts the request (and its body) when it fires; dropped (cancelled)
    // once we are done. Until then nothing else aborts it: an aborted signal
    // says the time ran out.
    let _timeout = controller.clone().map(|controller| {
        Timer::after(u32::try_from(request.timeout_ms).unwrap_or(u32::MAX), move || controller.abort())
    });
    let failed = || match controller.as_ref().is_some_and(|controller| controller.signal().aborted()) {
        true => FetchAnswer::Timeout,
        false => FetchAnswer::Network,
    };
    // A page's patched `fetch` may answer with a thenable that settles inside
    // `then`, which `JsFuture` cannot take: a native promise of it can.
    let Ok(fetching) = call_fetch(&JsValue::from_str(&request.url), &init) else { return failed() };
    let Ok(response) = JsFuture::from(fetching).await else { return failed() };
    let Ok(response) = response.dyn_into::<Response>() else { return FetchAnswer::Network };
    // Read as a string: web-sys's `ResponseType` enum costs a table in the glue.
    let redirected = super::get(&response, "type")
        .ok()
        .and_then(|kind| kind.as_string())
        .is_some_and(|kind| kind == "opaqueredirect");
    if redirected {
        return FetchAnswer::Redirected;
    }
    let header = |name: &str| super::headers(&response).get(name).ok().flatten();
    let (date, retry_after, content_type) = (header("date"), header("retry-after"), header("content-type"));
    let status = response.status();
    // What `str::parse::<usize>` reads (an optional `+`, then digits), without
    // the standard library's number parser in the wasm.
    let declared = header("content-length").and_then(|length| {
        let length = length.trim();
        let length = crate::core::text::digits(length.strip_prefix('+').unwrap_or(length))?;
        usize::try_from(length).ok()
    });
    let body = if declared.is_some_and(|length| length > max_body) {
        Body::TooLarge
    } else {
        match read_capped(&response, max_body, None).await {
            Some(body) => body,
            None => return failed(),
        }
    };
    if matches!(body, Body::TooLarge) {
        // Too large: stop the download instead of holding it open.
        if let Some(controller) = &controller {
            controller.abort();
        }
    }
    FetchAnswer::Response(Answer {
        status,
        date: date.as_deref().and_then(date_ms),
        retry_after: retry_after.map(|text| RetryAfter { date: date_ms(&text), text }),
        content_type,
        body,
    })
}

/// An HTTP date as epoch ms, read by `Date.parse`.
fn date_ms(text: &str) -> Option<u64> {
    // NaN or a time value (at most 8.64e15 ms): never infinite.
    let ms = js_sys::Date::parse(text);
    (ms >= 0.0).then_some(ms as u64)
}

/// Reads `response`'s body through a stream reader: chunk by chunk until
/// more than `max_body` bytes have come, when the rest is cancelled unread
/// (so a body of any size, declared or not, costs at most that much memory
/// and one chunk), or
/// until `give_up` (a promise, e.g. a timer) settles first. The bytes stay in
/// JS; the browser decodes and parses them. `None`: the stream failed, or
/// `give_up` settled first.
pub async fn read_capped(response: &Response, max_body: usize, give_up: Option<&Promise>) -> Option<Body> {
    // The stream is not kept across the awaits: its reader is all that is read.
    let reader: ReadableStreamDefaultReader = match response.body() {
        Some(stream) => stream.get_reader().unchecked_into(),
        None => return Some(Body::Empty),
    };
    let chunks = Array::new();
    let mut total = 0usize;
    // `Some`: reading stops early with this answer, the rest cancelled.
    let stopped = loop {
        // Not kept across the await: only the promise awaited is.
        let next = match give_up {
            Some(give_up) => Promise::race(&Array::of2(&reader.read(), give_up)),
            None => reader.read(),
        };
        // A failed read errored the stream: nothing left to cancel.
        let Ok(result) = JsFuture::from(next).await else { return None };
        let done = super::get(&result, "done").ok().and_then(|done| done.as_bool());
        if done == Some(true) {
            break None;
        }
        // No `done`: not a read result, `give_up` settled first.
        let chunk = done.and_then(|_| super::get(&result, "value").ok()?.dyn_into::<Uint8Array>().ok());
        let Some(chunk) = chunk else { break Some(None) };
        // `total` never passes `max_body`: what is left never underflows.
        let len = super::length(&chunk) as usize;
        if len > max_body - total {
            // One byte more than allowed says "too large": the rest is not read.
            break Some(Some(Body::TooLarge));
        }
        chunks.push(&chunk);
        total += len;
    };
    if let Some(answer) = stopped {
        let _ = reader.cancel();
        return answer;
    }
    let bytes = Uint8Array::new_with_length(total as u32);
    let mut offset = 0u32;
    for index in 0..super::length(&chunks) {
        let chunk: Uint8Array = chunks.get(index).unchecked_into();
        bytes.set(&chunk, offset);
        offset += super::length(&chunk);
    }
    Some(parse(&bytes))
}

/// The body's bytes as the browser reads them: UTF-8 text, then `JSON.parse`,
/// then walked within [`Limits::ANSWER`].
fn parse(bytes: &Uint8Array) -> Body {
    let Some(text) = TextDecoder::new().and_then(|decoder| decoder.decode(bytes)).ok() else {
        return Body::NotJson;
    };
    if is_blank(&text) {
        return Body::Empty;
    }
    match parse_js(&text).map(|parsed| value::from_js(&parsed, &Limits::ANSWER, &[])) {
        Ok(Ok(value)) => Body::Json(value),
        _ => Body::NotJson,
    }
}

/// Whether `text` holds nothing but JSON white space (space, tab, CR, LF).
/// Looks at the first code units only as far as they are blank.
fn is_blank(text: &JsString) -> bool {
    (0..super::length(text)).all(|index| matches!(text.char_code_at(index) as u32, 0x20 | 0x09 | 0x0d | 0x0a))
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)]

    use wasm_bindgen_test::*;

    use super::*;

    /// Replaces `window.fetch` with `script` (a JS function body receiving
    /// `url, init`) for the duration of `f`.
    async fn with_fetch<T>(script: &str, f: impl std::future::Future<Output = T>) -> T {
        let install = [
            "window.__realFetch = window.__realFetch || window.fetch; window.fetch = async (url, init) => { ",
            script,
            " };",
        ]
        .concat();
        js_sys::eval(&install).unwrap();
        let result = f.await;
        js_sys::eval("window.fetch = window.__realFetch;").unwrap();
        result
    }

    trait Answered {
        /// The response, or a panic saying what came instead.
        fn response(self) -> Answer;
    }

    impl Answered for FetchAnswer {
        fn response(self) -> Answer {
            match self {
                FetchAnswer::Response(response) => response,
                other => panic!("no response: {other:?}"),
            }
        }
    }

    fn eval(code: &str) -> JsValue {
        js_sys::eval(code).unwrap()
    }

    fn post(headers: &[(String, String)], body: Option<&str>, max_body_bytes: usize) -> Request {
        Request {
            url: "/auth/refresh".to_owned(),
            method: "POST".to_owned(),
            headers: headers.to_vec(),
            body: body.map(str::to_owned),
            credentials: crate::core::Credentials::Include,
            keepalive: true,
            timeout_ms: 5_000,
            max_body_bytes,
            csrf: None,
        }
    }

    /// A JS `ReadableStream` of `chunks` chunks of `size` bytes of `byte`,
    /// counting in `window.__pulled` the chunks read and setting
    /// `window.__cancelled` when cancelled. No Content-Length: like chunked
    /// transfer encoding.
    fn stream_script(chunks: u32, size: u32) -> String {
        [
            "window.__pulled = 0; window.__cancelled = false; let left = ",
            &chunks.to_string(),
            "; const body = new ReadableStream({ pull(c) { if (left-- <= 0) { c.close(); return; } \
             window.__pulled++; c.enqueue(new Uint8Array(",
            &size.to_string(),
            ").fill(0x20)); }, cancel() { window.__cancelled = true; } }, { highWaterMark: 0 }); \
             return new Response(body, { status: 200 });",
        ]
        .concat()
    }

    fn json(value: &JsValue) -> String {
        js_sys::JSON::stringify(value).unwrap().into()
    }

    #[wasm_bindgen_test]
    async fn sends_method_headers_body_credentials_keepalive_and_no_redirects() {
        let headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        let response = with_fetch(
            "window.__seen = { url, method: init.method, type: init.headers.get('content-type'), body: init.body, \
             credentials: init.credentials, keepalive: init.keepalive, redirect: init.redirect }; \
             return new Response('{}', { status: 200 });",
            send(&post(&headers, Some("{\"a\":1}"), 1024)),
        )
        .await
        .response();
        assert_eq!(response.status, 200);
        let seen = json(&eval("window.__seen"));
        assert!(seen.contains("\"method\":\"POST\""), "{seen}");
        assert!(seen.contains("\"type\":\"application/json\""), "{seen}");
        assert!(seen.contains("\"body\":\"{\\\"a\\\":1}\""), "{seen}");
        assert!(seen.contains("\"credentials\":\"include\""), "{seen}");
        assert!(seen.contains("\"keepalive\":true"), "{seen}");
        assert!(seen.contains("\"redirect\":\"manual\""), "{seen}");
    }

    #[wasm_bindgen_test]
    async fn reads_status_headers_and_a_body_the_browser_parsed() {
        let response = with_fetch(
            "return new Response('{\"error\":\"slow down\",\"n\":[1,2]}', { status: 429, headers: { 'Retry-After': '7', \
             'Date': 'Sun, 06 Nov 1994 08:49:37 GMT', 'Content-Type': 'application/json' } });",
            send(&post(&[], None, 1024)),
        )
        .await
        .response();
        assert_eq!(response.status, 429);
        assert_eq!(response.retry_after.as_ref().map(|r| r.text.as_str()), Some("7"));
        // Sun, 06 Nov 1994 08:49:37 GMT, read by the browser.
        assert_eq!(response.date, Some(784_111_777_000));
        assert_eq!(response.content_type.as_deref(), Some("application/json"));
        let Body::Json(body) = response.body else { panic!("{:?}", response.body) };
        assert_eq!(json(&value::to_js(&body)), "{\"error\":\"slow down\",\"n\":[1,2]}");
    }

    #[wasm_bindgen_test]
    async fn bodies_are_classified_empty_json_or_not_json() {
        for (script, expected) in [
            ("return new Response(null, { status: 204 });", "empty"),
            ("return new Response('', { status: 200 });", "empty"),
            ("return new Response(' \\r\\n\\t', { status: 200 });", "empty"),
            ("return new Response('\\u00a0', { status: 200 });", "not json"),
            ("return new Response('<html>', { status: 200 });", "not json"),
            ("return new Response('{\"a\":', { status: 200 });", "not json"),
            ("return new Response('\"caf\\u00e9\"', { status: 200 });", "json"),
        ] {
            let response = with_fetch(script, send(&post(&[], None, 1024))).await.response();
            let kind = match response.body {
                Body::Empty => "empty",
                Body::Json(_) => "json",
                Body::NotJson => "not json",
                Body::TooLarge => "too large",
            };
            assert_eq!(kind, expected, "{script}");
        }
    }

    #[wasm_bindgen_test]
    async fn a_body_in_many_chunks_is_put_back_together() {
        // "é" is split across two chunks: it decodes only once joined.
        let response = with_fetch(
            "const parts = ['{\"a\":\"', 'caf', '\\u00e9', '\"}'].map(t => new TextEncoder().encode(t)); \
             const bytes = [parts[0], parts[1], parts[2].slice(0, 1), parts[2].slice(1), parts[3]]; \
             const body = new ReadableStream({ pull(c) { const next = bytes.shift(); \
             if (next) c.enqueue(next); else c.close(); } }); return new Response(body);",
            send(&post(&[], None, 1024)),
        )
        .await
        .response();
        let Body::Json(body) = response.body else { panic!("{:?}", response.body) };
        assert_eq!(json(&value::to_js(&body)), "{\"a\":\"café\"}");
    }

    #[wasm_bindgen_test]
    async fn a_chunked_body_over_the_cap_is_cut_and_not_read_to_the_end() {
        // 10 000 chunks of 1 KiB, no Content-Length: the reader stops after
        // the cap (100 bytes) plus one, and cancels the rest.
        let response = with_fetch(&stream_script(10_000, 1024), send(&post(&[], None, 100))).await.response();
        assert!(matches!(response.body, Body::TooLarge), "{:?}", response.body);
        let pulled = eval("window.__pulled").as_f64().unwrap();
        assert!(pulled <= 2.0, "read {pulled} chunks of 10 000");
        assert_eq!(eval("window.__cancelled").as_bool(), Some(true), "the rest is cancelled");
    }

    #[wasm_bindgen_test]
    async fn the_cap_counts_bytes_exactly() {
        // 4 chunks of 25 bytes of spaces-and-a-number: exactly 100 bytes is fine, 101 is not.
        for (max, too_large) in [(100, false), (99, true)] {
            let script = "let n = 4; const body = new ReadableStream({ pull(c) { if (n-- <= 0) { c.close(); return; } \
                          const b = new Uint8Array(25).fill(0x20); if (n === 0) b[24] = 0x31; c.enqueue(b); } }); \
                          return new Response(body);";
            let response = with_fetch(script, send(&post(&[], None, max))).await.response();
            assert_eq!(matches!(response.body, Body::TooLarge), too_large, "max {max}: {:?}", response.body);
        }
    }

    #[wasm_bindgen_test]
    async fn a_body_declared_too_large_is_not_read() {
        let response = with_fetch(
            "window.__bodyRead = false; const body = new ReadableStream({ pull(c) { window.__bodyRead = true; \
             c.enqueue(new TextEncoder().encode('x')); c.close(); } }, { highWaterMark: 0 }); \
             return new Response(body, { status: 200, headers: { 'Content-Length': '5000000' } });",
            send(&post(&[], None, 100)),
        )
        .await
        .response();
        assert!(matches!(response.body, Body::TooLarge));
        assert_eq!(eval("window.__bodyRead").as_bool(), Some(false), "the body was not pulled");
    }

    #[wasm_bindgen_test]
    async fn a_redirect_is_handed_back_not_followed() {
        // A real opaque redirect needs a server; this stands in for one (a
        // Response whose `type` is "opaqueredirect", as `redirect: "manual"` gives).
        let response = with_fetch(
            "window.__redirect = init.redirect; return Object.create(Response.prototype, { \
             type: { value: 'opaqueredirect' }, status: { value: 0 }, headers: { value: new Headers() }, \
             body: { value: null } });",
            send(&post(&[], None, 100)),
        )
        .await;
        assert!(matches!(response, FetchAnswer::Redirected), "{response:?}");
        assert_eq!(eval("window.__redirect").as_string().as_deref(), Some("manual"));
    }

    #[wasm_bindgen_test]
    async fn a_network_failure_is_an_error_not_a_panic() {
        let result = with_fetch("throw new TypeError('Failed to fetch');", send(&post(&[], None, 100))).await;
        assert!(matches!(result, FetchAnswer::Network));
    }

    #[wasm_bindgen_test]
    async fn a_patched_fetch_answering_with_a_thenable_that_settles_at_once_is_read() {
        // Not `async`: the thenable itself is returned, and settles inside `then`.
        eval(
            "window.__realFetch = window.__realFetch || window.fetch; \
             window.fetch = () => ({ then(resolve) { resolve(new Response('{}', { status: 200 })); } });",
        );
        let result = send(&post(&[], None, 100)).await;
        eval("window.fetch = window.__realFetch;");
        assert_eq!(result.response().status, 200);
    }

    #[wasm_bindgen_test]
    async fn a_request_that_never_answers_times_out() {
        let mut request = post(&[], None, 100);
        request.timeout_ms = 50;
        let result = with_fetch(
            "return new Promise((_, reject) => init.signal.addEventListener('abort', () => \
             reject(new DOMException('aborted', 'AbortError'))));",
            send(&request),
        )
        .await;
        assert!(matches!(result, FetchAnswer::Timeout));
    }

    #[wasm_bindgen_test]
    async fn a_body_that_never_ends_times_out_too() {
        let mut request = post(&[], None, 100);
        request.timeout_ms = 50;
        let result = with_fetch(
            "const body = new ReadableStream({ start(c) { c.enqueue(new Uint8Array([0x7b])); \
             init.signal.addEventListener('abort', () => c.error(new DOMException('aborted', 'AbortError'))); } }); \
             return new Response(body);",
            send(&request),
        )
        .await;
        assert!(matches!(result, FetchAnswer::Timeout));
    }

    #[wasm_bindgen_test]
    async fn reading_gives_up_when_told() {
        let response: Response = eval(
            "window.__cancelled = false; new Response(new ReadableStream({ start(c) { \
             c.enqueue(new Uint8Array([0x7b])); }, cancel() { window.__cancelled = true; } }))",
        )
        .unchecked_into();
        let give_up = Promise::resolve(&JsValue::UNDEFINED);
        assert!(read_capped(&response, 100, Some(&give_up)).await.is_none());
        assert_eq!(eval("window.__cancelled").as_bool(), Some(true), "the stream is let go");
    }
}
