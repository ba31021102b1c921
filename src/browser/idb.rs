//! IndexedDB, for the generation note (`crate::core::note`): one database per
//! channel, one object store, one key, a string value.
//!
//! [`write`] resolves once its transaction has *committed* (`complete`), which
//! is what makes the note safe: the refresh lock is released only after that,
//! and every transaction that starts later, in any tab, sees the write. [`read`]
//! returns the stored text. Both give up after [`IDB_TIMEOUT_MS`] (a browser
//! whose IndexedDB hangs must not hold the refresh lock), and both fail
//! quietly where IndexedDB is missing, blocked (some private modes, storage
//! disabled) or broken: the caller then works without a note.
//!
//! The bindings are hand-written (smaller than web-sys's IDB features). Event
//! handlers are the `resolve`/`reject` functions of a `Promise`, so no Rust
//! closure outlives a call, except the `upgradeneeded` handler, which a
//! [`Handlers`] guard detaches before it is dropped. Each call opens the
//! database and closes it when done ([`Database`] closes on drop).

use core::future::Future;
use core::pin::pin;
use core::task::Poll;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::timers::sleep;
use crate::core::keys::{NOTE_KEY, NOTE_STORE};

/// The longest a read or write of the note may take.
pub const IDB_TIMEOUT_MS: u32 = 1_000;

#[wasm_bindgen]
extern "C" {
    /// `indexedDB`.
    type IdbFactory;
    #[wasm_bindgen(method, catch)]
    fn open(this: &IdbFactory, name: &str, version: u32) -> Result<IdbRequest, JsValue>;

    /// An `IDBRequest` (or `IDBOpenDBRequest`).
    #[derive(Clone)]
    type IdbRequest;
    #[wasm_bindgen(method, catch, getter)]
    fn result(this: &IdbRequest) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, setter)]
    fn set_onsuccess(this: &IdbRequest, handler: Option<&Function>);
    #[wasm_bindgen(method, setter)]
    fn set_onerror(this: &IdbRequest, handler: Option<&Function>);
    #[wasm_bindgen(method, setter)]
    fn set_onupgradeneeded(this: &IdbRequest, handler: Option<&Function>);

    /// An `IDBDatabase`.
    type IdbDatabase;
    #[wasm_bindgen(method, catch)]
    fn transaction(this: &IdbDatabase, store: &str, mode: &str) -> Result<IdbTransaction, JsValue>;
    #[wasm_bindgen(method, catch, js_name = createObjectStore)]
    fn create_object_store(this: &IdbDatabase, name: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method)]
    fn close(this: &IdbDatabase);

    /// An `IDBTransaction`.
    type IdbTransaction;
    #[wasm_bindgen(method, catch, js_name = objectStore)]
    fn object_store(this: &IdbTransaction, name: &str) -> Result<IdbObjectStore, JsValue>;
    #[wasm_bindgen(method, setter)]
    fn set_oncomplete(this: &IdbTransaction, handler: Option<&Function>);
    #[wasm_bindgen(method, setter)]
    fn set_onerror(this: &IdbTransaction, handler: Option<&Function>);
    #[wasm_bindgen(method, setter)]
    fn set_onabort(this: &IdbTransaction, handler: Option<&Function>);

    /// An `IDBObjectStore`.
    type IdbObjectStore;
    #[wasm_bindgen(method, catch)]
    fn put(this: &IdbObjectStore, value: &JsValue, key: &str) -> Result<IdbRequest, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn get(this: &IdbObjectStore, key: &str) -> Result<IdbRequest, JsValue>;
}

/// Why the note could not be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdbError {
    /// No `indexedDB` here, or it refused to open (blocked, private mode).
    Unavailable,
    /// A transaction failed or aborted (quota, I/O, a closed connection).
    Failed,
    /// No answer within [`IDB_TIMEOUT_MS`].
    Timeout,
}

/// Commits `text` as the note in database `name`.
///
/// # Errors
///
/// [`IdbError`] when IndexedDB is missing or blocked, the transaction did not
/// commit, or it took longer than [`IDB_TIMEOUT_MS`].
pub async fn write(name: &str, text: &str) -> Result<(), IdbError> {
    within_timeout(async {
        let database = open(name).await?;
        let transaction = database.0.transaction(NOTE_STORE, "readwrite").map_err(|_| IdbError::Failed)?;
        let store = transaction.object_store(NOTE_STORE).map_err(|_| IdbError::Failed)?;
        store.put(&JsValue::from_str(text), NOTE_KEY).map_err(|_| IdbError::Failed)?;
        committed(&transaction).await
    })
    .await
}

/// Reads the note in database `name` (`None`: nothing stored, or not text).
///
/// # Errors
///
/// [`IdbError`] as for [`write`].
pub async fn read(name: &str) -> Result<Option<String>, IdbError> {
    within_timeout(async {
        let database = open(name).await?;
        let transaction = database.0.transaction(NOTE_STORE, "readonly").map_err(|_| IdbError::Failed)?;
        let store = transaction.object_store(NOTE_STORE).map_err(|_| IdbError::Failed)?;
        let request = store.get(NOTE_KEY).map_err(|_| IdbError::Failed)?;
        committed(&transaction).await?;
        Ok(request.result().ok().and_then(|value| value.as_string()))
    })
    .await
}

/// An open connection; closed on drop.
struct Database(IdbDatabase);

impl Drop for Database {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Detaches an open request's handlers on drop, before the closure they call
/// is dropped: the browser never calls into a freed closure.
struct Handlers(IdbRequest);

impl Drop for Handlers {
    fn drop(&mut self) {
        self.0.set_onupgradeneeded(None);
        self.0.set_onsuccess(None);
        self.0.set_onerror(None);
    }
}

fn factory() -> Option<IdbFactory> {
    let factory = Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB")).ok()?;
    factory.is_object().then(|| factory.unchecked_into())
}

/// Opens database `name` (version 1), creating its store the first time.
async fn open(name: &str) -> Result<Database, IdbError> {
    let request = factory().ok_or(IdbError::Unavailable)?.open(name, 1).map_err(|_| IdbError::Unavailable)?;
    let upgrading = request.clone();
    let upgrade = Closure::<dyn FnMut()>::new(move || {
        if let Ok(database) = upgrading.result() {
            let _ = database.unchecked_into::<IdbDatabase>().create_object_store(NOTE_STORE);
        }
    });
    let handlers = Handlers(request.clone());
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let opened = Promise::new(&mut |resolve, reject| {
        request.set_onsuccess(Some(&resolve));
        request.set_onerror(Some(&reject));
    });
    let outcome = JsFuture::from(opened).await;
    drop(handlers);
    drop(upgrade);
    outcome.map_err(|_| IdbError::Unavailable)?;
    let database = request.result().map_err(|_| IdbError::Unavailable)?;
    Ok(Database(database.unchecked_into()))
}

/// Waits until `transaction` has committed.
async fn committed(transaction: &IdbTransaction) -> Result<(), IdbError> {
    let done = Promise::new(&mut |resolve, reject| {
        transaction.set_oncomplete(Some(&resolve));
        transaction.set_onerror(Some(&reject));
        transaction.set_onabort(Some(&reject));
    });
    JsFuture::from(done).await.map(drop).map_err(|_| IdbError::Failed)
}

/// `work`, or [`IdbError::Timeout`] after [`IDB_TIMEOUT_MS`]; dropping `work`
/// closes its connection, and the browser rolls back what it had not committed.
async fn within_timeout<T>(work: impl Future<Output = Result<T, IdbError>>) -> Result<T, IdbError> {
    let mut work = pin!(work);
    let mut timeout = pin!(sleep(IDB_TIMEOUT_MS));
    core::future::poll_fn(|cx| {
        if let Poll::Ready(outcome) = work.as_mut().poll(cx) {
            return Poll::Ready(outcome);
        }
        timeout.as_mut().poll(cx).map(|()| Err(IdbError::Timeout))
    })
    .await
}
