// react-idle-timer as its users run it: `useIdleTimer` inside a React root (production
// build, bundled with React by run.mjs). window.__rit.mount(onAction) renders it,
// window.__rit.unmount() removes it (and its listeners).
import { createElement } from "react";
import { flushSync } from "react-dom";
import { createRoot } from "react-dom/client";
import { useIdleTimer } from "react-idle-timer";

function Idle({ onAction }) {
  useIdleTimer({ timeout: 20 * 60 * 1000, eventsThrottle: 200, onAction });
  return null;
}

let root = null;
let container = null;
window.__rit = {
  mount(onAction) {
    container = document.createElement("div");
    document.body.append(container);
    root = createRoot(container);
    flushSync(() => root.render(createElement(Idle, { onAction })));
  },
  unmount() {
    flushSync(() => root.unmount());
    container.remove();
    root = container = null;
  },
};
