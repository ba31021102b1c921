// The React test app, bundled by react.test.mjs with React 18 or 19. The test
// drives it through window.app: mount the hook (in StrictMode or not), sign in,
// unmount. The hook's component renders what useSession gives.
import { createElement as h, StrictMode, useEffect } from "react";
import { createRoot } from "react-dom/client";
import { version } from "react";
import init from "wasm-session";
import { useSession } from "wasm-session/react";

function Status({ options }) {
  const { session, state, remainingMs, cause } = useSession(options);
  useEffect(() => {
    window.app.session = session;
  }, [session]);
  window.app.renders += 1;
  return h(
    "p",
    { id: "status", "data-state": state, "data-cause": cause ?? "", "data-session": session ? "yes" : "no" },
    remainingMs == null ? "no countdown" : `${Math.ceil(remainingMs / 1000)} s left`,
  );
}

await init({ module_or_path: "/pkg/wasm_session_bg.wasm" });
const root = createRoot(document.getElementById("root"));
window.app = {
  version,
  renders: 0,
  session: null,
  mount(options, strict) {
    const status = h(Status, { options });
    root.render(strict ? h(StrictMode, null, status) : status);
  },
  unmount() {
    root.render(null);
  },
};
root.render(null);
window.app.ready = true;
