// A minimal app for tests/e2e/scope.test.mjs: the SDK with *default* options
// (no channelName), configured as the app named by <html data-app>. Two such
// apps live on one origin, under /crm/ and /wiki/, and must share nothing.
import init, { Session } from "/pkg/wasm_session.js";

await init();
const app = document.documentElement.dataset.app;
// The two apps talk to the same reference backend as different OAuth clients:
// their configurations differ only in client_id, as two apps of one company would.
const session = new Session({
  idleTimeoutMs: 600_000,
  warnBeforeMs: 60_000,
  absoluteTimeoutMs: 3_600_000,
  endpoints: { refresh: "/auth/refresh", logout: "/auth/logout" },
  bodyFields: { client_id: app },
});
const events = [];
session.onAny((event) => events.push({ type: event.type, origin: event.origin, reason: event.reason, replaced: event.replaced, code: event.code }));

window.app = {
  name: app,
  session,
  events,
  state: () => session.state,
  token: () => session.accessToken ?? null,
  async login(username) {
    const answer = await fetch("/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password: username }),
    });
    session.start(await answer.json());
  },
  async profile() {
    const answer = await session.fetch("/api/profile");
    return { status: answer.status, body: answer.ok ? await answer.json() : null };
  },
};
session.resume(); // as an app does at start-up: join another tab of this app, if any
document.body.dataset.ready = "true";
