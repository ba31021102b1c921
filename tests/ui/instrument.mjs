// Runs in the page before its scripts (context.addInitScript): counts what is
// live — event listeners, BroadcastChannels, pending timers — so a test can
// assert that an unmounted hook or a destroyed session left nothing behind.
export function instrument() {
  const listeners = [];
  const same = (a, b) => a.target === b.target && a.type === b.type && a.listener === b.listener && a.capture === b.capture;
  const capture = (options) => (typeof options === "boolean" ? options : Boolean(options?.capture));
  const add = EventTarget.prototype.addEventListener;
  const remove = EventTarget.prototype.removeEventListener;
  const drop = (entry) => {
    const i = listeners.findIndex((other) => same(other, entry));
    if (i >= 0) listeners.splice(i, 1);
  };
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    const entry = { target: this, type, listener, capture: capture(options) };
    if (listener && !listeners.some((other) => same(other, entry))) {
      listeners.push(entry);
      options?.signal?.addEventListener?.("abort", () => drop(entry));
    }
    return add.call(this, type, listener, options);
  };
  EventTarget.prototype.removeEventListener = function (type, listener, options) {
    drop({ target: this, type, listener, capture: capture(options) });
    return remove.call(this, type, listener, options);
  };

  const channels = { created: 0, open: 0 };
  const Channel = window.BroadcastChannel;
  window.BroadcastChannel = class extends Channel {
    constructor(name) {
      super(name);
      channels.created += 1;
      channels.open += 1;
      this.__open = true;
    }
    close() {
      if (this.__open) channels.open -= 1;
      this.__open = false;
      return super.close();
    }
  };

  const timers = new Set();
  const { setTimeout: st, clearTimeout: ct, setInterval: si, clearInterval: ci } = window;
  window.setTimeout = (fn, ms, ...args) => {
    const id = st((...a) => {
      timers.delete(id);
      if (typeof fn === "function") fn(...a);
    }, ms, ...args);
    timers.add(id);
    return id;
  };
  window.clearTimeout = (id) => {
    timers.delete(id);
    return ct(id);
  };
  window.setInterval = (fn, ms, ...args) => {
    const id = si(fn, ms, ...args);
    timers.add(id);
    return id;
  };
  window.clearInterval = (id) => {
    timers.delete(id);
    return ci(id);
  };

  window.__live = () => ({
    listeners: listeners.map((l) => `${l.target?.constructor?.name}:${l.type}`).sort(),
    channelsOpen: channels.open,
    channelsCreated: channels.created,
    timers: timers.size,
  });
}
