/**
 * Options of `new Session(options)`. Durations are milliseconds; every field is optional
 * (`undefined` counts as absent). An unknown key, a wrong type, a value out of range or
 * not plain data (a function other than `refresh`, `NaN`, a getter that throws …) throws a
 * `SessionError` with `code: "invalid_config"` whose message names the path, e.g.
 * `endpoints.refresh.url must be a relative URL or an absolute http(s) URL, …`.
 */
export interface SessionOptions {
  /** Idle time after which the session ends. Default 15 min. */
  idleTimeoutMs?: number;
  /** How long before the idle expiry the `warning` event fires. Default 60 s (half the idle timeout if shorter). */
  warnBeforeMs?: number;
  /** Hard cap on session age; activity never extends it. Default 8 h. */
  absoluteTimeoutMs?: number;
  /** How long before the absolute expiry its warning fires. Default `warnBeforeMs`. */
  absoluteWarnBeforeMs?: number;
  /** Period of `countdown` events during a warning. Default 1 s. */
  countdownIntervalMs?: number;
  /** Local activity is shared with other tabs at most this often. Default 5 s (at most half of `warnBeforeMs`). */
  activityBroadcastIntervalMs?: number;
  /** Refresh this long before the access token expires (at most half its lifetime). Default 60 s. */
  refreshBeforeMs?: number;
  /** Up to this much random extra lead, so tabs and clients spread out. Default 5 s. */
  refreshJitterMs?: number;
  /** First retry delay after a retryable refresh failure. Default 1 s. */
  retryInitialMs?: number;
  /** Cap on the retry delay. Default 60 s. */
  retryMaxMs?: number;
  /**
   * Cookie mode: a keepalive at most this often for all tabs together (one tab sends for all) while the
   * user is active in any of them, never while idle. Default 60 s when a keepalive endpoint is configured.
   * Keep it below the server's idle timeout minus `warnBeforeMs`: the server's idle deadline from keepalive
   * and session answers sets the warning and the expiry when it is earlier than the client's.
   */
  keepaliveEveryMs?: number;
  /**
   * Absolute lifetime of a remembered session (`rememberMe: true` in the login answer given to `start()`,
   * or in a session answer), instead of `absoluteTimeoutMs`. Default 30 days.
   */
  rememberMeAbsoluteMs?: number;
  /** Idle timeout of a remembered session, instead of `idleTimeoutMs`. Default: none. */
  rememberMeIdleTimeoutMs?: number;
  /**
   * Cross-tab channel name: sessions with the same name share state (the channel, the refresh lock
   * and the stored session). Default: "wasm-session-" and a hash of the endpoints, `mode` and
   * `bodyFields` (page-relative endpoint URLs resolved against the page), so that differently
   * configured apps on one origin never share a session while every tab of one app does. Apps that
   * want to share one session across configurations set the same name; so should apps with no
   * endpoints (nothing to tell them apart by).
   */
  channelName?: string;
  /**
   * DOM events that count as activity. Default pointerdown, pointermove, keydown, wheel, touchstart.
   * Not "scroll": a page that scrolls itself (chat, log tail, ticker) would keep the session alive
   * with nobody there; add it if your page never does.
   */
  activityEvents?: string[];
  /**
   * Activity events closer together than this are dropped. Default 1 s. Within the window no
   * listener is attached, so activity then costs the page nothing.
   */
  activityThrottleMs?: number;
  /**
   * Where the live session (its timing and, in bearer mode, its tokens) is kept so that a reload
   * resumes it on `resume()`. Default "memory": nothing is written; a reload rejoins another open
   * tab, or asks the server in cookie mode. "local" puts tokens where any script on the origin can
   * read them, and `securityReport()` says so.
   */
  storage?: "memory" | "session" | "local";
  /**
   * Re-constituted sessions: after an idle or absolute timeout, keep who the session was for and the
   * last `setRestoreState` value this long (ms). When the same user signs in again within it,
   * `started` carries `restoredState` (once); another user, a logout or the end of the window wipes
   * it. No secret is kept. Default: off.
   */
  reconstituteForMs?: number;
  /**
   * Monitoring: lifecycle records (no token, user id or URL) sent with `navigator.sendBeacon` to
   * `url`, at most `flushMs` (default 10000) after one is queued and when a page is hidden or left;
   * one tab sends for all. Body format: docs/CONTRACT.md, "Monitoring beacons". Default: off.
   */
  monitor?: { url: string; flushMs?: number };
  /**
   * Obtains new tokens. Called at most once at a time across all tabs. Resolve with a
   * token response; reject with `{ status, retryAfterMs? }` for an HTTP answer
   * (400/401/403 end the session, 408/429/5xx are retried) or anything else for a
   * network failure (retried with backoff).
   */
  refresh?: (request: { refreshToken: string | null }) => Promise<TokenResponse> | TokenResponse;

  // ---- the backend (docs/CONTRACT.md) ----
  /** The session endpoints; each a URL or `{ url, method }`. */
  endpoints?: {
    refresh?: EndpointOption; keepalive?: EndpointOption; session?: EndpointOption;
    logout?: EndpointOption; revocation?: EndpointOption;
  };
  /** "bearer" (default): the client holds the access token. "cookie": the session rides in cookies. */
  mode?: "bearer" | "cookie";
  /** Refresh and revocation bodies. Default "json". */
  bodyEncoding?: "json" | "form";
  /** `fetch` credentials for every request and for `session.fetch`. Default "include". */
  credentials?: "omit" | "same-origin" | "include";
  /** Abort requests after this long. Default 10 s. */
  requestTimeoutMs?: number;
  /** Static headers on every request. */
  headers?: Record<string, string>;
  /** Static fields in refresh and revocation bodies, e.g. `{ client_id }`. */
  bodyFields?: Record<string, string>;
  /** Request field carrying the refresh token. Default "refresh_token". */
  refreshTokenField?: string;
  /** Adds `grant_type` to refresh requests ("refresh_token" for OAuth 2.0). */
  grantType?: string;
  /**
   * Field names of token answers. Defaults: the OAuth 2.0 names. `user` (default "user") names the
   * user in token, session and keepalive answers (a string, or an object's `id`): an answer for
   * another user ends the session everywhere with reason "userChanged".
   */
  responseFields?: { accessToken?: string; refreshToken?: string; expiresIn?: string; expiresAt?: string; error?: string; user?: string };
  /** CSRF header for state-changing requests, from a double-submit cookie or a `<meta>` tag. */
  csrf?: { header?: string; cookie: string } | { header?: string; meta: string };
  /**
   * Larger answers are unusable. Default 64 KiB. Bodies are read through a stream reader that
   * stops after this many bytes plus one, whatever `Content-Length` says.
   */
  maxBodyBytes?: number;
  /** API statuses that mean "session revoked" to `session.fetch`. Default [401]. */
  revokedStatuses?: number[];
  /** JSON `error` codes (on 4xx/5xx) that also mean revoked. */
  revokedErrorCodes?: string[];
  /**
   * Origins besides the page's own (`"https://api.example.com"`) that `session.fetch` sends the
   * credential to. Requests to any other origin go out untouched. Entries are normalised as the
   * browser writes origins (`"https://api.example.com:443"` is `"https://api.example.com"`); hosts
   * must be ASCII (punycode). `securityReport()` flags `http://` entries.
   */
  apiOrigins?: string[];
  /** The name of the server's session cookie, so `securityReport()` can check that scripts cannot read it. */
  sessionCookie?: string;
}

/** An endpoint: a URL, or a URL and method. */
export type EndpointOption = string | { url: string; method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" };

/** Options for a standard OAuth 2.0 token endpoint (RFC 6749 §6, RFC 7009); spread into `SessionOptions`. */
export function oauth2(args: { tokenUrl: string; clientId: string; revocationUrl?: string }): SessionOptions;
/** Options for a server-side session in an HttpOnly cookie; spread into `SessionOptions`. */
export function cookieSession(args: { keepaliveUrl: string; sessionUrl: string; logoutUrl: string }): SessionOptions;

/**
 * A token response, OAuth 2.0 style (snake_case) or camelCase, or named by `responseFields`. `expires_in`
 * is in seconds; without an expiry, an access token that is a JWT expires at its `exp`.
 */
export interface TokenResponse {
  access_token?: string; accessToken?: string;
  refresh_token?: string; refreshToken?: string;
  expires_in?: number | string; expiresIn?: number | string;
  /** Epoch seconds or milliseconds. */
  expires_at?: number; expiresAt?: number;
  /** Whom the tokens are for (or the field `responseFields.user` names): a string or `{ id }`. */
  user?: string | { id: string | number };
  /**
   * Remember me: the session outlives the browser (the backend keeps it with a persistent cookie; tokens
   * in memory only through `storage: "local"`), on `rememberMeAbsoluteMs` / `rememberMeIdleTimeoutMs`.
   * Refresh requests then carry `remember_me=true`; `securityReport()` reports `remember_me`.
   * E.g. `session.start({ ...loginAnswer, rememberMe: checkbox.checked })`.
   */
  rememberMe?: boolean; remember_me?: boolean;
  /** The server's idle and absolute deadlines (epoch s or ms): they set the warning and the expiry when earlier. */
  idleExpiresAt?: number | string; idle_expires_at?: number | string;
  absoluteExpiresAt?: number | string; absolute_expires_at?: number | string;
}

/** `"destroyed"`: what `state` reads after `destroy()` (no event carries it). */
export type SessionState = "anonymous" | "active" | "warning" | "expired" | "loggedOut" | "destroyed";
/**
 * Why a session ended. "userChanged": a session check, keepalive or refresh answered for another
 * user than the session's (a second login in another window, or a login CSRF); the server is not told.
 */
export type EndReason = "idle" | "absolute" | "user" | "otherTab" | "revoked" | "refreshFailed" | "userChanged";
export type Origin = "local" | "otherTab" | "server";

interface EventBase { /** Epoch ms when the event was emitted. */ at: number; }
export interface StateChangeEvent extends EventBase { type: "stateChange"; from: SessionState; to: SessionState; }
export interface StartedEvent extends EventBase {
  type: "started"; origin: Origin; replaced: boolean;
  /**
   * With `reconstituteForMs`: what `setRestoreState` held when the same user's previous session
   * timed out, on the `started` event of the tab where they signed in again. Untrusted data, as
   * anything read back from `localStorage`.
   */
  restoredState?: unknown;
}
export interface WarningEvent extends EventBase { type: "warning"; cause: "idle" | "absolute"; remainingMs: number; deadline: number; }
export interface CountdownEvent extends EventBase { type: "countdown"; cause: "idle" | "absolute"; remainingMs: number; deadline: number; }
export interface ActivityEvent extends EventBase { type: "activity"; origin: Origin; idleDeadline: number; }
export interface ExpiredEvent extends EventBase { type: "expired"; reason: "idle" | "absolute"; origin: Origin; }
export interface LoggedOutEvent extends EventBase { type: "loggedOut"; reason: EndReason; origin: Origin; }
export interface RefreshedEvent extends EventBase { type: "refreshed"; expiresAt: number | null; origin: Origin; }
export interface RefreshFailedEvent extends EventBase { type: "refreshFailed"; code: string; definitive: boolean; retryAt: number | null; failures: number; }
/**
 * `code`: a dropped cross-tab message or discarded stored session (`wrong_epoch`, `malformed_message` …;
 * never for a message of a session that is over, which tabs racing a logout send in the normal course),
 * `storage_unavailable`, `channel_unavailable`, `channel_post_failed` (a message, perhaps a logout, did not
 * reach the other tabs), `logout_failed` (the server was not told; the logout is sent again when the
 * browser is back online), `user_changed` (reported once, by the tab that saw it), `other_user_signed_in` (`start()` signed in
 * another user while a session was live) or `csrf_token_unusable`
 * (the page's CSRF token is no valid header value, so requests go without it; once per page).
 */
export interface ErrorEvent extends EventBase { type: "error"; code: string; message: string; }

/** Every event, discriminated on `type`. */
export type SessionEvent =
  | StateChangeEvent | StartedEvent | WarningEvent | CountdownEvent | ActivityEvent
  | ExpiredEvent | LoggedOutEvent | RefreshedEvent | RefreshFailedEvent | ErrorEvent;
export type SessionEventType = SessionEvent["type"];
export type SessionEventMap = { [K in SessionEventType]: Extract<SessionEvent, { type: K }> };

/**
 * Thrown by the SDK: a real `Error` with `name === "SessionError"` and a stable `code`.
 * `"not_initialized"`: the package was used before `await init()` (or `initSync`, or
 * `import "wasm-session/node"` in Node).
 * `"destroyed"`: a method other than `destroy()` was called after `destroy()` (`fetch` rejects with it).
 */
export interface SessionError extends Error { name: "SessionError"; code: "invalid_config" | "invalid_tokens" | "no_crypto" | "invalid_restore_state" | "not_initialized" | "destroyed" | string; }

/** One weak setting found by `session.securityReport()` (each check is described in SECURITY.md). */
export interface SecurityFinding {
  id:
    | "insecure_page" | "insecure_endpoint" | "insecure_api_origin" | "tokens_in_local_storage" | "session_cookie_readable"
    | "idle_timeout_long" | "absolute_timeout_long" | "remember_me" | "no_logout_endpoint" | "refresh_token_not_rotated";
  severity: "high" | "medium" | "low";
  /** What was observed. */
  message: string;
  /** What to do about it. */
  advice: string;
}

export interface Session {
  /**
   * With `reconstituteForMs`: the value to give back (`started.restoredState`) if this session times
   * out and the same user signs in again. Plain data, at most 4 KiB of text; `null` clears it.
   * Throws a `SessionError` (`invalid_restore_state`) otherwise, and `destroyed` after `destroy()`.
   * Ignored with no live session.
   */
  setRestoreState(value: unknown): void;
  /** Weak settings the SDK can observe, most severe first. Advisory: nothing is enforced. */
  securityReport(): SecurityFinding[];
  /**
   * Listens to one event type; returns the function that stops listening. Throws a
   * `TypeError` when `type` is not a string (a type that names no event never fires).
   * Every listener sees events in the order they happened: an event raised while a listener
   * runs (it called `remainingMs()` or `logout()`, say) waits until the current one has reached
   * every listener. A `destroy()` in a listener removes the listeners once the events raised before
   * it have reached them.
   */
  on<K extends SessionEventType>(type: K, callback: (event: SessionEventMap[K]) => void): () => void;
  /** Listens to every event, in the order they happened (see `on`); returns the function that stops listening. */
  onAny(callback: (event: SessionEvent) => void): () => void;
  /**
   * `fetch` with the session's credential (`Authorization: Bearer …`). Waits while a refresh is
   * in flight; on a 401 refreshes once (one refresh for all tabs and concurrent calls) and retries
   * once; a second 401 ends the session everywhere with reason `revoked`. A request that sets its
   * own `Authorization` is the app's: its 401 is returned untouched. Not user activity. When it
   * attaches the session's credential it sets `redirect: "manual"` unless `init.redirect` is given,
   * so a redirect comes back as a `Response` of type `"opaqueredirect"` instead of being followed.
   * An error body the SDK inspects (`revokedErrorCodes`) is read from a copy, capped at
   * `maxBodyBytes` and `requestTimeoutMs`; the caller gets the original `Response`.
   */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}
