// What every bundled app does with the package, once initialized: a session with a
// `refresh` function (no backend needed) becomes active, refreshes its 2-second access
// token (timers, the cross-tab refresh lock, the promise from `refresh`), `session.fetch`
// sends the new token (the test's server echoes the header), and `logout()` ends it with
// a `loggedOut` event. The result lands in `window.smokeResult` for apps.test.mjs.
export async function check(Session) {
  const events = [];
  const session = new Session({
    refreshJitterMs: 0,
    refresh: async () => ({ access_token: "access-2", refresh_token: "refresh-2", expires_in: 600 }),
  });
  session.onAny((event) => events.push(event.type));
  const refreshed = new Promise((resolve) => session.on("refreshed", resolve));
  const loggedOut = new Promise((resolve) => session.on("loggedOut", resolve));
  session.start({ access_token: "access-1", refresh_token: "refresh-1", expires_in: 2 });
  const stateAfterStart = session.state;
  await refreshed;
  const response = await session.fetch("./echo-authorization");
  const authorization = await response.text();
  session.logout();
  const { reason } = await loggedOut;
  const result = { stateAfterStart, authorization, reason, stateAfterLogout: session.state, events };
  session.destroy();
  window.smokeResult = result;
  return result;
}
