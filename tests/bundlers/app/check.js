// What every bundled app does with the package, once initialized: a session with a
// `refresh` function (no backend needed) becomes active, `session.fetch` sends its token
// over the network, and `logout()` ends it with a `loggedOut` event. The result lands in
// `window.smokeResult` for tests/bundlers/apps.test.mjs to read.
export async function check(Session) {
  const events = [];
  const session = new Session({
    refresh: async () => ({ access_token: "access-2", refresh_token: "refresh-2", expires_in: 600 }),
  });
  session.onAny((event) => events.push(event.type));
  const loggedOut = new Promise((resolve) => session.on("loggedOut", resolve));
  session.start({ access_token: "access-1", refresh_token: "refresh-1", expires_in: 600 });
  const stateAfterStart = session.state;
  const response = await session.fetch("./index.html");
  session.logout();
  const { reason } = await loggedOut;
  const result = { stateAfterStart, fetchStatus: response.status, reason, stateAfterLogout: session.state, events };
  session.destroy();
  window.smokeResult = result;
  return result;
}
