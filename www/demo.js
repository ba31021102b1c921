// wasm-session demo page. Plain ES module, no build step.
// Uses the package by its npm name (resolved by the import map in index.html).
import init, { Session, cookieSession } from "wasm-session";
import "wasm-session/dialog"; // registers <session-timeout-dialog>

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------
const $ = (id) => document.getElementById(id);
const SETTINGS_KEY = "wasm-session-demo:settings";
const SHARED_KEY = "wasm-session-demo:shared"; // non-secret display info shared by tabs
const DEFAULTS = { idleTimeoutMs: 30_000, warnBeforeMs: 15_000, absoluteTimeoutMs: 600_000 };
const LOG_CAP = 200;
const SVG_NS = "http://www.w3.org/2000/svg";

const pad = (n, w = 2) => String(n).padStart(w, "0");
function clock(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
function shortClock(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
/** "12.3 s", "4 min 05 s", "1 h 02 min". */
function human(ms) {
  const neg = ms < 0;
  ms = Math.abs(ms);
  let s;
  if (ms < 10_000) s = `${(ms / 1000).toFixed(1)} s`;
  else if (ms < 60_000) s = `${Math.round(ms / 1000)} s`;
  else if (ms < 3_600_000) s = `${Math.floor(ms / 60_000)} min ${pad(Math.floor(ms / 1000) % 60)} s`;
  else s = `${Math.floor(ms / 3_600_000)} h ${pad(Math.floor(ms / 60_000) % 60)} min`;
  return neg ? `−${s}` : s;
}
function loadJson(key, fallback) {
  try {
    const v = JSON.parse(localStorage.getItem(key));
    return v && typeof v === "object" ? v : fallback;
  } catch {
    return fallback;
  }
}
function saveJson(key, value) {
  try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* storage may be unavailable */ }
}
function errorText(e) {
  if (e && typeof e === "object" && "message" in e) {
    return e.code ? `${e.message} (${e.code})` : String(e.message);
  }
  return String(e);
}

// ---------------------------------------------------------------------------
// Simulated offline: wrap window.fetch (the SDK calls window.fetch at call time).
// Also records this tab's requests for the log and the timeline.
// ---------------------------------------------------------------------------
const realFetch = window.fetch.bind(window);
let simulatedOffline = false;
const requests = []; // { at, method, path, status|null, ok }
const trackedPaths = /^\/(auth|api)\//;

window.fetch = async function demoFetch(input, init) {
  const url = new URL(input instanceof Request ? input.url : String(input), location.href);
  const method = (init?.method || (input instanceof Request ? input.method : "GET")).toUpperCase();
  const tracked = url.origin === location.origin && trackedPaths.test(url.pathname);
  const started = Date.now();
  if (simulatedOffline) {
    const at = started;
    if (tracked) noteRequest({ at, method, path: url.pathname, status: null, ok: false, note: "simulated offline" });
    throw new TypeError("Failed to fetch (simulated offline)");
  }
  let res;
  try {
    res = await realFetch(input, init);
  } catch (e) {
    const at = Date.now();
    if (tracked) noteRequest({ at, ms: at - started, method, path: url.pathname, status: null, ok: false, note: "network error" });
    throw e;
  }
  if (tracked) {
    const at = Date.now();
    noteRequest({ at, ms: at - started, method, path: url.pathname, status: res.status, ok: res.ok });
    // Cookie mode: remember the server's idle deadline for the timeline.
    if (res.ok && /^\/auth\/(login|keepalive|session)$/.test(url.pathname)) {
      res.clone().json().then(readServerDeadlines, () => {});
    }
  }
  return res;
};

// ---------------------------------------------------------------------------
// State of the page
// ---------------------------------------------------------------------------
let session = null;
let serverConfig = null;
let mode = "bearer";
let refreshTokenIn = "cookie"; // bearer mode: "cookie" (HttpOnly) or "body" (held in memory)
const settings = { ...DEFAULTS, ...loadJson(SETTINGS_KEY, {}) };
let shared = loadJson(SHARED_KEY, {}); // { user, tokenExpiresAt, tokenTtlMs, serverIdleExpiresAt }
const refreshMarks = []; // { at, origin }
const activityMarks = []; // { at, origin }

function updateShared(patch) {
  shared = { ...loadJson(SHARED_KEY, {}), ...patch };
  saveJson(SHARED_KEY, shared);
}
window.addEventListener("storage", (e) => {
  if (e.key === SHARED_KEY) {
    shared = loadJson(SHARED_KEY, {});
    renderSession();
  }
});

function readServerDeadlines(body) {
  if (!body || typeof body !== "object") return;
  const patch = {};
  if (typeof body.idleExpiresAt === "number") patch.serverIdleExpiresAt = toMs(body.idleExpiresAt);
  if (typeof body.user === "string" || (body.user && typeof body.user === "object")) {
    patch.user = typeof body.user === "string" ? body.user : (body.user.name || body.user.id || body.user.username);
  }
  if (Object.keys(patch).length) updateShared(patch);
}
// Epoch seconds or milliseconds.
const toMs = (t) => (t < 1e11 ? t * 1000 : t);

// ---------------------------------------------------------------------------
// Event log
// ---------------------------------------------------------------------------
const logEl = $("event-log");
const NOISY = new Set(["activity", "countdown"]);
const TIME_FIELDS = new Set(["deadline", "idleDeadline", "expiresAt", "retryAt"]);

function fieldValue(key, value, at) {
  if (value === null || value === undefined) return "null";
  if (TIME_FIELDS.has(key) && typeof value === "number") return `${shortClock(value)} (${value >= at ? "+" : ""}${human(value - at)})`;
  if (key === "remainingMs" && typeof value === "number") return human(value);
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

function addLogRow(kind, at, type, fields) {
  const li = document.createElement("li");
  li.className = `log-row log-${kind}`;
  li.dataset.type = type;
  if (kind === "event" && NOISY.has(type)) li.classList.add("noisy");
  const time = document.createElement("time");
  time.className = "log-time";
  time.dateTime = new Date(at).toISOString();
  time.textContent = clock(at);
  const t = document.createElement("span");
  t.className = "log-type";
  t.textContent = type;
  const f = document.createElement("span");
  f.className = "log-fields";
  for (const [k, v] of fields) {
    const kv = document.createElement("span");
    kv.className = "kv";
    const key = document.createElement("span");
    key.className = "k";
    key.textContent = `${k}=`;
    kv.append(key, document.createTextNode(v));
    f.append(kv, " ");
  }
  li.append(time, " ", t, " ", f);
  logEl.prepend(li);
  while (logEl.childElementCount > LOG_CAP) logEl.lastElementChild.remove();
}

function logEvent(e) {
  const fields = Object.entries(e)
    .filter(([k]) => k !== "type" && k !== "at")
    .map(([k, v]) => [k, fieldValue(k, v, e.at)]);
  addLogRow("event", e.at ?? Date.now(), e.type, fields);
}

function noteRequest(r) {
  requests.push(r);
  if (requests.length > 50) requests.shift();
  const fields = [["status", r.status === null ? (r.note || "failed") : String(r.status)]];
  if (r.ms !== undefined) fields.push(["took", `${r.ms} ms`]);
  addLogRow(r.ok ? "net" : "net net-fail", r.at, `${r.method} ${r.path}`, fields);
}

$("btn-clear-log").addEventListener("click", () => logEl.replaceChildren());
function applyLogFilters() {
  logEl.classList.toggle("hide-noisy", !$("log-show-noisy").checked);
  logEl.classList.toggle("hide-net", !$("log-show-net").checked);
}
$("log-show-noisy").addEventListener("change", applyLogFilters);
$("log-show-net").addEventListener("change", applyLogFilters);

// ---------------------------------------------------------------------------
// Header, login form and session panel
// ---------------------------------------------------------------------------
const LIVE = new Set(["active", "warning"]);
const STATE_LABEL = { anonymous: "anonymous", active: "active", warning: "warning", expired: "expired", loggedOut: "logged out" };

function endMessage(e) {
  if (e.type === "expired") {
    const where = e.origin === "otherTab" ? " (noticed in another tab)" : "";
    return e.reason === "absolute"
      ? `Your session reached its maximum length. Please sign in again${where}.`
      : `Signed out after inactivity${where}.`;
  }
  switch (e.reason) {
    case "user": return e.origin === "local" ? "You logged out." : "Logged out in another tab.";
    case "otherTab": return "Logged out in another tab.";
    case "revoked": return "Session revoked by the server.";
    case "refreshFailed": return "The session could not be renewed: the server no longer accepts it. Please sign in again.";
    case "userChanged": return "Signed out: the server now answers for another user. Please sign in again.";
    case "idle": return "Signed out after inactivity.";
    case "absolute": return "Your session reached its maximum length.";
    default: return `Signed out (${e.reason}).`;
  }
}

function showEndReason(text) {
  const p = $("end-reason");
  p.textContent = text;
  p.hidden = !text;
}

function renderSession() {
  const state = session ? session.state : "error";
  const badge = $("state-badge");
  badge.textContent = session ? (STATE_LABEL[state] ?? state) : "not running";
  badge.dataset.state = state;
  const live = LIVE.has(state);
  $("btn-profile").disabled = !session;
  $("btn-security").disabled = !session;
  $("login-section").hidden = live || !session;
  $("btn-logout").disabled = !live;
  $("btn-logout-all").disabled = !live;
  const summary = $("session-summary");
  if (!session) {
    summary.textContent = "The SDK is not running (see the error above).";
  } else if (live) {
    const who = shared.user ? `Signed in as ${shared.user}` : "Signed in";
    const rem = session.remainingMs();
    summary.textContent = `${who}. Ends in ${rem == null ? "—" : human(rem)} unless there is activity.`;
  } else {
    summary.textContent = "Not signed in. Sign in above; every open tab of this page will join the session.";
  }
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!session) return;
  const btn = $("login-submit");
  const err = $("login-error");
  err.hidden = true;
  btn.disabled = true;
  btn.textContent = "Signing in…";
  try {
    const username = $("login-username").value.trim();
    const password = $("login-password").value;
    // Remember me: the backend answers `rememberMe: true` and issues cookies
    // that outlive the browser; start(body) hands that to the SDK.
    const remember_me = $("login-remember").checked;
    const res = await fetch("/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password, remember_me }),
      credentials: "same-origin",
    });
    let body = null;
    try { body = await res.json(); } catch { /* not JSON */ }
    if (res.status === 401) throw new Error("Wrong username or password.");
    if (!res.ok || !body) throw new Error(`Login failed: HTTP ${res.status}${body?.error ? ` (${body.error})` : ""}.`);
    const user = typeof body.user === "string" ? body.user : (body.user?.name || body.user?.id || body.user?.username || username);
    showEndReason("");
    refreshMarks.length = 0;
    if (mode === "bearer") {
      const ttl = Number(body.expires_in) * 1000;
      updateShared({ user, tokenExpiresAt: Number.isFinite(ttl) ? Date.now() + ttl : null, tokenTtlMs: Number.isFinite(ttl) ? ttl : null });
      session.start(body);
    } else {
      updateShared({ user, tokenExpiresAt: null });
      // No tokens in cookie mode: the user (what a re-constituted session is matched on) and rememberMe.
      session.start(body);
    }
  } catch (e) {
    err.textContent = e instanceof TypeError ? `Network error: ${e.message}` : errorText(e);
    err.hidden = false;
  } finally {
    btn.disabled = false;
    btn.textContent = "Sign in";
    renderSession();
  }
});

// ---------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------
function showOutput(title, text, ok) {
  $("action-output-wrap").hidden = false;
  $("action-output-title").textContent = title;
  const out = $("action-output");
  out.textContent = text;
  out.dataset.ok = ok ? "true" : "false";
}
async function describeResponse(res) {
  const raw = await res.text();
  let body = raw;
  try { body = JSON.stringify(JSON.parse(raw), null, 2); } catch { /* keep text */ }
  return `HTTP ${res.status} ${res.statusText}\n${body}`;
}

$("btn-profile").addEventListener("click", async () => {
  if (!session) return;
  showOutput("GET /api/profile", "…", true);
  try {
    const res = await session.fetch("/api/profile");
    showOutput("GET /api/profile", await describeResponse(res), res.ok);
  } catch (e) {
    showOutput("GET /api/profile", `Request failed: ${errorText(e)}`, false);
  }
});

$("btn-security").addEventListener("click", () => {
  if (!session) return;
  const findings = session.securityReport();
  const text = findings.length === 0
    ? "No weak setting the SDK can observe. (Advisory: it cannot see server-side timeouts or your CSP; see SECURITY.md.)"
    : findings.map((f) => `[${f.severity}] ${f.id}: ${f.message}\n  → ${f.advice}`).join("\n\n");
  showOutput(`session.securityReport(): ${findings.length} finding(s)`, text, findings.length === 0);
});

$("btn-open-tab").addEventListener("click", () => window.open(location.href, "_blank"));
$("btn-logout").addEventListener("click", () => session?.logout());

$("btn-logout-all").addEventListener("click", async () => {
  if (!session) return;
  const title = "POST /auth/logout-all";
  showOutput(title, "…", true);
  try {
    const res = await session.fetch("/auth/logout-all", { method: "POST" });
    const text = await describeResponse(res);
    showOutput(title, res.ok
      ? `${text}\n\nEvery session of this user was revoked on the server. Open tabs and other browsers learn it at their next ${mode === "bearer" ? "token refresh" : "keepalive or session check"} (or try “Call /api/profile”).`
      : text, res.ok);
  } catch (e) {
    showOutput(title, `Request failed: ${errorText(e)}`, false);
  }
});

$("btn-offline").addEventListener("click", () => {
  simulatedOffline = !simulatedOffline;
  $("btn-offline").setAttribute("aria-pressed", String(simulatedOffline));
  $("btn-offline").textContent = simulatedOffline ? "Simulated offline: on" : "Simulate offline";
  $("offline-banner").hidden = !simulatedOffline;
  document.body.classList.toggle("is-offline", simulatedOffline);
});

// What to give back if the session times out and the same user signs in again.
$("restore-note").addEventListener("input", (ev) => session?.setRestoreState({ note: ev.target.value }));

// ---------------------------------------------------------------------------
// Session events
// ---------------------------------------------------------------------------
function onSessionEvent(e) {
  logEvent(e);
  switch (e.type) {
    case "started":
      // reconstituteForMs: the same user signed in again after a timeout.
      if (e.restoredState !== undefined) {
        const note = typeof e.restoredState?.note === "string" ? e.restoredState.note : "";
        $("restore-note").value = note;
        const restored = $("restored-note");
        restored.textContent = `Restored where you were before the timeout: “${note}”.`;
        restored.hidden = false;
      } else if (e.origin === "local") {
        $("restored-note").hidden = true;
      }
      break;
    case "stateChange":
      if (e.to === "active" && e.from !== "warning") showEndReason("");
      break;
    case "activity":
      activityMarks.push({ at: e.at, origin: e.origin });
      if (activityMarks.length > 60) activityMarks.shift();
      break;
    case "refreshed":
      refreshMarks.push({ at: e.at, origin: e.origin });
      if (refreshMarks.length > 20) refreshMarks.shift();
      if (typeof e.expiresAt === "number") {
        updateShared({ tokenExpiresAt: e.expiresAt, tokenTtlMs: Math.max(0, e.expiresAt - e.at) || shared.tokenTtlMs });
      }
      break;
    case "expired":
    case "loggedOut":
      showEndReason(endMessage(e));
      updateShared({ tokenExpiresAt: null, serverIdleExpiresAt: null });
      break;
    default:
      break;
  }
  renderSession();
  if (e.type !== "countdown" && e.type !== "activity") drawTimeline();
}

// ---------------------------------------------------------------------------
// Timeline (inline SVG, redrawn 4x per second)
// ---------------------------------------------------------------------------
const svg = $("timeline");
function el(name, attrs, text) {
  const n = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  if (text !== undefined) n.textContent = text;
  return n;
}
function niceStep(rangeMs, maxTicks) {
  const steps = [1e3, 2e3, 5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3, 7200e3];
  return steps.find((s) => rangeMs / s <= maxTicks) ?? 14_400e3;
}
function tickLabel(ms) {
  if (ms === 0) return "now";
  const sign = ms > 0 ? "+" : "−";
  const a = Math.abs(ms);
  if (a < 60_000) return `${sign}${a / 1000}s`;
  if (a < 3_600_000) return `${sign}${+(a / 60_000).toFixed(1)}m`;
  return `${sign}${+(a / 3_600_000).toFixed(1)}h`;
}

function drawTimeline() {
  const W = Math.max(320, Math.round(svg.clientWidth || svg.getBoundingClientRect().width || 640));
  const lanes = [
    { key: "idle", label: "Idle" },
    { key: "abs", label: "Absolute" },
    { key: "token", label: mode === "bearer" ? "Access token" : "Server idle" },
    { key: "net", label: "Requests" },
  ];
  const top = 26, laneH = 36, labelW = 96, right = 14;
  const H = top + lanes.length * laneH + 6;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("height", String(H));

  const now = Date.now();
  const accessTtl = shared.tokenTtlMs || serverConfig?.accessTtlMs || 0;
  const future = Math.max(settings.idleTimeoutMs, mode === "bearer" ? accessTtl : 0, 10_000) * 1.2;
  const past = future * 0.3;
  const x0 = labelW, x1 = W - right;
  const X = (t) => x0 + ((t - (now - past)) / (past + future)) * (x1 - x0);
  const clampX = (x) => Math.min(x1, Math.max(x0, x));
  const nowX = X(now);
  const laneY = (i) => top + i * laneH;
  const mid = (i) => laneY(i) + laneH / 2;

  const g = document.createDocumentFragment();
  // Lane backgrounds and labels.
  lanes.forEach((lane, i) => {
    g.append(el("rect", { x: x0, y: laneY(i) + 4, width: x1 - x0, height: laneH - 8, rx: 4, class: "tl-lane" }));
    g.append(el("text", { x: 8, y: mid(i) + 4, class: "tl-lane-label" }, lane.label));
  });
  // Axis ticks (aligned to "now").
  const step = niceStep(past + future, Math.max(3, Math.floor((x1 - x0) / 70)));
  for (let t = -Math.floor(past / step) * step; t <= future; t += step) {
    const x = X(now + t);
    if (x < x0 - 0.5 || x > x1 + 0.5) continue;
    g.append(el("line", { x1: x, x2: x, y1: top - 4, y2: H - 6, class: t === 0 ? "tl-grid tl-grid-now" : "tl-grid" }));
    if (t !== 0) g.append(el("text", { x, y: top - 10, class: "tl-tick", "text-anchor": "middle" }, tickLabel(t)));
  }
  g.append(el("text", { x: nowX, y: top - 10, class: "tl-now-label", "text-anchor": "middle" }, "now"));

  const live = session && LIVE.has(session.state);
  const descr = [];

  // Label placed right of x when it fits, else left of it.
  const label = (x, y, text, cls) => {
    const w = text.length * 6.6 + 8;
    const fitsRight = x + 6 + w <= x1;
    g.append(el("text", { x: fitsRight ? x + 6 : x - 6, y, class: `tl-label ${cls || ""}`, "text-anchor": fitsRight ? "start" : "end" }, text));
  };
  // A bar from now to a deadline, with a marker and label (arrow when beyond the view).
  const deadlineBar = (i, deadline, cls, name) => {
    const y = laneY(i) + 10, h = laneH - 20;
    const xd = X(deadline);
    const beyond = xd > x1;
    const xe = clampX(xd);
    if (xe > nowX) g.append(el("rect", { x: nowX, y, width: xe - nowX, height: h, rx: 3, class: `tl-bar ${cls}` }));
    if (beyond) {
      g.append(el("path", { d: `M${x1 - 8},${y - 3} L${x1},${y + h / 2} L${x1 - 8},${y + h + 3} Z`, class: `tl-arrow ${cls}` }));
      label(Math.min(x1 - 10, nowX + 4), mid(i) + 4, `${name} ${human(deadline - now)} →`, "tl-label-in");
    } else {
      g.append(el("line", { x1: xe, x2: xe, y1: laneY(i) + 5, y2: laneY(i) + laneH - 5, class: `tl-marker ${cls}` }));
      label(xe, mid(i) + 4, `${name} ${deadline >= now ? "in " + human(deadline - now) : "passed"}`);
    }
    descr.push(`${name}: ${deadline >= now ? "in " + human(deadline - now) : "passed"}`);
  };
  const pastTicks = (i, marks, cls, titleFn) => {
    for (const m of marks) {
      const x = X(m.at);
      if (x < x0 || x > x1) continue;
      const t = el("line", { x1: x, x2: x, y1: laneY(i) + 8, y2: laneY(i) + laneH - 8, class: `tl-tick-mark ${cls(m)}` });
      t.append(el("title", {}, titleFn(m)));
      g.append(t);
    }
  };

  if (live) {
    // Idle lane: warning window, bar, marker; activity dots in the past.
    const idle = session.idleDeadline;
    if (idle != null) {
      const ws = X(idle - settings.warnBeforeMs), we = X(idle);
      const zx0 = clampX(Math.max(ws, nowX)), zx1 = clampX(we);
      if (zx1 > zx0) g.append(el("rect", { x: zx0, y: laneY(0) + 4, width: zx1 - zx0, height: laneH - 8, class: "tl-warnzone" }));
      deadlineBar(0, idle, "tl-idle", "idle ends");
    }
    for (const m of activityMarks) {
      const x = X(m.at);
      if (x < x0 || x > nowX) continue;
      const c = el("circle", { cx: x, cy: mid(0), r: 3, class: m.origin === "local" ? "tl-dot" : "tl-dot tl-dot-other" });
      c.append(el("title", {}, `activity (${m.origin}) at ${clock(m.at)}`));
      g.append(c);
    }
    // Absolute lane.
    const abs = session.absoluteDeadline;
    if (abs != null) deadlineBar(1, abs, "tl-abs", "absolute ends");
    // Token / server idle lane.
    if (mode === "bearer") {
      if (shared.tokenExpiresAt) deadlineBar(2, shared.tokenExpiresAt, "tl-token", "token expires");
      else g.append(el("text", { x: nowX + 6, y: mid(2) + 4, class: "tl-label tl-muted" }, "expiry known after the next refresh"));
    } else if (shared.serverIdleExpiresAt) {
      deadlineBar(2, shared.serverIdleExpiresAt, "tl-token", "server idle ends");
    }
  } else {
    g.append(el("text", { x: (x0 + x1) / 2, y: mid(1) + 4, class: "tl-label tl-muted", "text-anchor": "middle" },
      session ? "No session — sign in to see the deadlines" : "SDK not running"));
    descr.push("No session.");
  }
  // Refresh marks (token lane) and this tab's requests (requests lane), in the past.
  pastTicks(2, refreshMarks, (m) => (m.origin === "local" ? "tl-refresh" : "tl-refresh tl-refresh-other"),
    (m) => `refreshed (${m.origin}) at ${clock(m.at)}`);
  pastTicks(3, requests, (r) => (r.ok ? "tl-req" : "tl-req tl-req-fail"),
    (r) => `${r.method} ${r.path} → ${r.status ?? r.note} at ${clock(r.at)}`);
  if (requests.length === 0 || X(requests[requests.length - 1].at) < x0) {
    g.append(el("text", { x: x0 + 8, y: mid(3) + 4, class: "tl-label tl-muted" }, "requests made by this tab appear here"));
  }

  svg.replaceChildren(g);
  $("timeline-text").textContent = descr.join(". ");
}

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------
function fillSettings() {
  $("set-idle").value = settings.idleTimeoutMs / 1000;
  $("set-warn").value = settings.warnBeforeMs / 1000;
  $("set-absolute").value = settings.absoluteTimeoutMs / 1000;
  $("try-warn-at").textContent = human(Math.max(0, settings.idleTimeoutMs - settings.warnBeforeMs));
}
function readSettingsForm() {
  const num = (id) => Math.round(Number($(id).value) * 1000);
  return { idleTimeoutMs: num("set-idle"), warnBeforeMs: num("set-warn"), absoluteTimeoutMs: num("set-absolute") };
}
$("settings-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const next = readSettingsForm();
  const err = $("settings-error");
  // Let the SDK validate: a throwaway session on a private channel, destroyed at once.
  try {
    const probe = new Session({ ...next, channelName: "wasm-session-demo-settings-probe" });
    probe.destroy();
  } catch (e) {
    err.textContent = `Not saved: ${errorText(e)}`;
    err.hidden = false;
    return;
  }
  err.hidden = true;
  saveJson(SETTINGS_KEY, next);
  location.reload();
});
$("settings-reset").addEventListener("click", () => {
  try { localStorage.removeItem(SETTINGS_KEY); } catch { /* ignore */ }
  location.reload();
});
// Other tabs follow a settings change.
window.addEventListener("storage", (e) => {
  if (e.key === SETTINGS_KEY) location.reload();
});

// ---------------------------------------------------------------------------
// Boot
// ---------------------------------------------------------------------------
function pageError(text) {
  const box = $("page-error");
  box.textContent = text;
  box.hidden = false;
}

function buildSession() {
  const lifetimes = {
    idleTimeoutMs: settings.idleTimeoutMs,
    warnBeforeMs: settings.warnBeforeMs,
    absoluteTimeoutMs: settings.absoluteTimeoutMs,
    // After a timeout, keep "where I was" for the same user's next sign-in.
    reconstituteForMs: 15 * 60_000,
    // Lifecycle records to the backend's beacon endpoint (shown in the log).
    monitor: { url: "/monitor", flushMs: 5_000 },
  };
  if (mode === "cookie") {
    return new Session({
      ...cookieSession({ keepaliveUrl: "/auth/keepalive", sessionUrl: "/auth/session", logoutUrl: "/auth/logout" }),
      csrf: { header: "X-CSRF-Token", cookie: "csrf" },
      sessionCookie: "session", // so securityReport() can check it is HttpOnly
      keepaliveEveryMs: settings.keepaliveEveryMs ?? 10_000,
      ...lifetimes,
    });
  }
  // With the refresh token in the login body, session.start(body) keeps it in
  // memory and every refresh sends it in the JSON body. Such a server cannot
  // answer a bodiless session check, so there is none.
  const sessionCheck = refreshTokenIn === "body" ? {} : { session: { url: "/auth/session", method: "GET" } };
  return new Session({
    ...lifetimes,
    endpoints: { refresh: "/auth/refresh", logout: "/auth/logout", ...sessionCheck },
    credentials: "same-origin",
  });
}

// The records the backend received at /monitor (every tab's: one tab sends for
// all), shown in the log as they arrive.
let monitorSeen = null;
async function pollMonitor() {
  let got;
  try {
    got = await (await realFetch("/debug/monitor", { credentials: "same-origin" })).json();
  } catch {
    return;
  }
  const records = Array.isArray(got?.records) ? got.records : [];
  if (monitorSeen === null || records.length < monitorSeen) monitorSeen = records.length; // only new ones
  for (const [at, tab, sid, kind, ...codes] of records.slice(monitorSeen)) {
    const fields = [["tab", String(tab).slice(0, 8)], ["session", String(sid).slice(0, 8)]];
    if (codes.length) fields.push(["codes", codes.join(" ")]);
    addLogRow("monitor", Number(at) || Date.now(), `beacon: ${kind}`, fields);
  }
  monitorSeen = records.length;
}

async function boot() {
  fillSettings();
  applyLogFilters();
  setInterval(drawTimeline, 250);
  setInterval(renderSession, 1000);
  setInterval(pollMonitor, 2000);
  window.addEventListener("resize", drawTimeline);

  // Server-side configuration: the mode and the server's lifetimes.
  try {
    const res = await fetch("/demo/config", { credentials: "same-origin" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    serverConfig = await res.json();
    mode = serverConfig.mode === "cookie" ? "cookie" : "bearer";
    refreshTokenIn = serverConfig.refreshToken === "body" ? "body" : "cookie";
    const s = serverConfig;
    const where = mode === "bearer" ? `, refresh token ${refreshTokenIn === "body" ? "in memory, sent in JSON bodies" : "in an HttpOnly cookie"}` : "";
    $("server-config").textContent =
      `Server (${mode} mode${where}): access token ${s.accessTtlMs ? human(s.accessTtlMs) : "—"}, ` +
      `idle ${s.idleTimeoutMs ? human(s.idleTimeoutMs) : "—"}, absolute ${s.absoluteTimeoutMs ? human(s.absoluteTimeoutMs) : "—"}.`;
  } catch (e) {
    pageError(`Could not load /demo/config (${errorText(e)}); assuming bearer mode. Is the demo server running?`);
  }
  $("mode").textContent = mode === "bearer" && refreshTokenIn === "body" ? "bearer, refresh token in memory" : mode;
  $("mode").dataset.mode = mode;
  if (mode === "bearer") $("mode").dataset.refreshToken = refreshTokenIn;
  $("legend-token").textContent = mode === "bearer" ? "access token expiry" : "server idle deadline";
  if (mode === "cookie") {
    $("try-step-4").innerHTML = "Move the mouse now and then: at most every 10 s <em>one</em> <code>POST /auth/keepalive</code> extends the server’s idle timer (see the Requests lane), never while you are idle.";
  }

  try {
    await init();
  } catch (e) {
    pageError(`Could not load the WebAssembly package: ${errorText(e)}`);
    renderSession();
    return;
  }

  try {
    session = buildSession();
  } catch (e) {
    // Typically a SessionError { code: "invalid_config" } naming the field.
    pageError(`Invalid settings: ${errorText(e)}. Fix them in Settings below, or reset to defaults.`);
    $("settings").open = true;
    renderSession();
    drawTimeline();
    return;
  }
  const tabId = session.tabId;
  $("tab-id").textContent = tabId.slice(0, 8);
  $("tab-id").title = `Tab id ${tabId}`;
  document.title = `wasm-session demo · tab ${tabId.slice(0, 4)}`;
  session.onAny(onSessionEvent);
  // The warning dialog opens on `warning` and closes when any tab stays signed in.
  $("warning-dialog").session = session;
  // Join the session of an open tab (and, in cookie mode, ask /auth/session).
  session.resume();
  renderSession();
  drawTimeline();
}

boot().catch((e) => pageError(`Unexpected error: ${errorText(e)}`));
