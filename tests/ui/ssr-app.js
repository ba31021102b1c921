// Server rendering: the hook renders its empty view on the server (no session, no
// wasm), and importing the dialog entry in Node registers nothing and throws nothing.
import { createElement as h } from "react";
import { renderToString } from "react-dom/server";
import { useSession } from "wasm-session/react";
import { SessionTimeoutDialog } from "wasm-session/dialog";

function Status() {
  const { session, state, remainingMs, cause } = useSession({ idleTimeoutMs: 60_000 });
  return h("p", null, `${session === null} ${state} ${remainingMs} ${cause}`);
}

export const html = renderToString(h(Status));
export const dialogClass = typeof SessionTimeoutDialog;
