//! `fetch`, with a timeout and a cap on what is read.
//!
//! The shell's only network primitive: it sends what the core decided to send
//! and hands back the status, the three headers the endpoint contract reads
//! (`Date`, `Retry-After`, `Content-Type`) and the body text. What the answer
//! means is decided in `core`. `window.fetch` is looked up at call time, so a
//! page (or a test) may wrap or replace it.

use gloo_timers::callback::Timeout;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, RequestCredentials, RequestInit, Response};

/// What to send.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// Absolute or page-relative URL.
    pub url: &'a str,
    /// `GET`, `POST` …
    pub method: &'a str,
    /// Request headers.
    pub headers: &'a [(String, String)],
    /// Request body, if any.
    pub body: Option<&'a str>,
    /// `"omit"`, `"same-origin"` or `"include"`.
    pub credentials: &'a str,
    /// Let the request outlive the page (logout on unload).
    pub keepalive: bool,
    /// Abort after this long.
    pub timeout_ms: u32,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Date` header.
    pub date: Option<String>,
    /// The `Retry-After` header.
    pub retry_after: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body text, cut after `max_body + 1` bytes.
    pub body: String,
    /// The body's full length in bytes, as read.
    pub body_len: usize,
}

/// Why no response arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpError {
    /// The request could not be made or failed in transit (offline, DNS, CORS).
    Network,
    /// No answer within the timeout.
    Timeout,
}

fn credentials(mode: &str) -> RequestCredentials {
    match mode {
        "omit" => RequestCredentials::Omit,
        "same-origin" => RequestCredentials::SameOrigin,
        _ => RequestCredentials::Include,
    }
}

/// Sends `request`; reads at most `max_body + 1` bytes of the body into the
/// response (enough to tell "too large"). A body whose `Content-Length` is over
/// `max_body` is not downloaded at all.
pub async fn send(request: HttpRequest<'_>, max_body: usize) -> Result<HttpResponse, HttpError> {
    let window = web_sys::window().ok_or(HttpError::Network)?;
    let init = RequestInit::new();
    init.set_method(request.method);
    init.set_credentials(credentials(request.credentials));
    // `keepalive` is not in web-sys's stable RequestInit; it is a plain field.
    let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &request.keepalive.into());
    let headers = Headers::new().map_err(|_| HttpError::Network)?;
    for (name, value) in request.headers {
        headers.set(name, value).map_err(|_| HttpError::Network)?;
    }
    init.set_headers(&headers);
    if let Some(body) = request.body {
        init.set_body(&body.into());
    }
    let controller = AbortController::new().ok();
    if let Some(controller) = &controller {
        init.set_signal(Some(&controller.signal()));
    }
    // Aborts the request when it fires; dropped (cancelled) once we are done.
    let timed_out = std::rc::Rc::new(std::cell::Cell::new(false));
    let _timeout = controller.clone().map(|controller| {
        let timed_out = timed_out.clone();
        Timeout::new(request.timeout_ms, move || {
            timed_out.set(true);
            controller.abort();
        })
    });
    let failed = |_| if timed_out.get() { HttpError::Timeout } else { HttpError::Network };
    let response = JsFuture::from(window.fetch_with_str_and_init(request.url, &init)).await.map_err(failed)?;
    let response: Response = response.dyn_into().map_err(|_| HttpError::Network)?;
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let (date, retry_after, content_type) = (header("date"), header("retry-after"), header("content-type"));
    let status = response.status();
    let declared = header("content-length").and_then(|length| length.trim().parse::<usize>().ok());
    if let Some(body_len) = declared.filter(|length| *length > max_body) {
        // Too large by its own account: stop the download instead of holding it.
        if let Some(controller) = &controller {
            controller.abort();
        }
        return Ok(HttpResponse { status, date, retry_after, content_type, body: String::new(), body_len });
    }
    let text = match response.text() {
        Ok(promise) => JsFuture::from(promise).await.map_err(failed)?,
        Err(_) => return Err(HttpError::Network),
    };
    let mut body = text.as_string().unwrap_or_default();
    let body_len = body.len();
    if body_len > max_body.saturating_add(1) {
        let mut cut = max_body.saturating_add(1);
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    Ok(HttpResponse { status, date, retry_after, content_type, body, body_len })
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

    fn post<'a>(headers: &'a [(String, String)], body: Option<&'a str>) -> HttpRequest<'a> {
        HttpRequest {
            url: "/auth/refresh",
            method: "POST",
            headers,
            body,
            credentials: "include",
            keepalive: true,
            timeout_ms: 5_000,
        }
    }

    #[wasm_bindgen_test]
    async fn sends_method_headers_body_credentials_and_keepalive() {
        let headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        let response = with_fetch(
            "window.__seen = { url, method: init.method, type: init.headers.get('content-type'), body: init.body, \
             credentials: init.credentials, keepalive: init.keepalive }; return new Response('ok', { status: 200 });",
            send(post(&headers, Some("{\"a\":1}")), 1024),
        )
        .await
        .unwrap();
        assert_eq!(response.status, 200);
        let seen = js_sys::eval("JSON.stringify(window.__seen)").unwrap().as_string().unwrap();
        assert!(seen.contains("\"method\":\"POST\""), "{seen}");
        assert!(seen.contains("\"type\":\"application/json\""), "{seen}");
        assert!(seen.contains("\"body\":\"{\\\"a\\\":1}\""), "{seen}");
        assert!(seen.contains("\"credentials\":\"include\""), "{seen}");
        assert!(seen.contains("\"keepalive\":true"), "{seen}");
    }

    #[wasm_bindgen_test]
    async fn reads_status_headers_and_body() {
        let response = with_fetch(
            "return new Response('{\"error\":\"slow down\"}', { status: 429, headers: { 'Retry-After': '7', \
             'Date': 'Sun, 06 Nov 1994 08:49:37 GMT', 'Content-Type': 'application/json' } });",
            send(post(&[], None), 1024),
        )
        .await
        .unwrap();
        assert_eq!(response.status, 429);
        assert_eq!(response.retry_after.as_deref(), Some("7"));
        assert_eq!(response.date.as_deref(), Some("Sun, 06 Nov 1994 08:49:37 GMT"));
        assert_eq!(response.content_type.as_deref(), Some("application/json"));
        assert_eq!(response.body, "{\"error\":\"slow down\"}");
    }

    #[wasm_bindgen_test]
    async fn a_large_body_is_cut_but_its_length_is_known() {
        let response =
            with_fetch("return new Response('é'.repeat(5000), { status: 200 });", send(post(&[], None), 100))
                .await
                .unwrap();
        assert_eq!(response.body_len, 10_000);
        assert!(response.body.len() <= 101, "cut on a character boundary");
    }

    #[wasm_bindgen_test]
    async fn a_body_declared_too_large_is_not_read() {
        let response = with_fetch(
            "window.__bodyRead = false; const body = new ReadableStream({ pull(c) { window.__bodyRead = true; \
             c.enqueue(new TextEncoder().encode('x')); c.close(); } }, { highWaterMark: 0 }); \
             return new Response(body, { status: 200, headers: { 'Content-Length': '5000000' } });",
            send(post(&[], None), 100),
        )
        .await
        .unwrap();
        assert_eq!(response.body_len, 5_000_000);
        assert_eq!(response.body, "");
        assert_eq!(js_sys::eval("window.__bodyRead").unwrap().as_bool(), Some(false), "the body was not pulled");
    }

    #[wasm_bindgen_test]
    async fn a_network_failure_is_an_error_not_a_panic() {
        let result = with_fetch("throw new TypeError('Failed to fetch');", send(post(&[], None), 100)).await;
        assert_eq!(result, Err(HttpError::Network));
    }

    #[wasm_bindgen_test]
    async fn a_request_that_never_answers_times_out() {
        let mut request = post(&[], None);
        request.timeout_ms = 50;
        let result = with_fetch(
            "return new Promise((_, reject) => init.signal.addEventListener('abort', () => \
             reject(new DOMException('aborted', 'AbortError'))));",
            send(request, 100),
        )
        .await;
        assert_eq!(result, Err(HttpError::Timeout));
    }
}
