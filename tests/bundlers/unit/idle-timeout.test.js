// An example for your own unit tests: an idle session's warning, countdown and expiry
// with Vitest's fake timers, so 15 minutes pass at once. The SDK reads the time through
// `Date.now()` and waits with `setTimeout`, which `vi.useFakeTimers()` fakes by default;
// its async work (refresh, fetch) runs on promise reactions, which no fake timers touch.
import "wasm-session/node"; // initializes the package in Node (no fetch); first, once
import { Session } from "wasm-session";
import { afterEach, expect, test, vi } from "vitest";

afterEach(() => {
  vi.useRealTimers();
});

// README's "Use with…" example, as it is there.
test("an idle session warns, then expires", () => {
  vi.useFakeTimers(); // before the session exists: it reads the clock from the start
  const session = new Session({ idleTimeoutMs: 15 * 60_000, warnBeforeMs: 60_000 });
  session.start({ access_token: "a", expires_in: 3600 });
  vi.advanceTimersByTime(14 * 60_000);
  expect(session.state).toBe("warning"); // `countdown` events follow, one a second
  vi.advanceTimersByTime(60_000);
  expect(session.state).toBe("expired");
  session.destroy();
});

test("an idle session warns a minute before its 15-minute timeout, counts down, and expires", () => {
  vi.useFakeTimers();
  const session = new Session({
    idleTimeoutMs: 15 * 60_000,
    warnBeforeMs: 60_000,
    refresh: async () => ({ access_token: "access-2", refresh_token: "refresh-2", expires_in: 3600 }),
  });
  const warnings = [];
  const countdown = [];
  const expired = [];
  session.on("warning", (e) => warnings.push(e));
  session.on("countdown", (e) => countdown.push(e.remainingMs));
  session.on("expired", (e) => expired.push(e));
  session.start({ access_token: "access-1", refresh_token: "refresh-1", expires_in: 3600 });
  expect(session.state).toBe("active");

  vi.advanceTimersByTime(14 * 60_000); // 14 idle minutes: the warning
  expect(session.state).toBe("warning");
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatchObject({ cause: "idle", remainingMs: 60_000 });

  vi.advanceTimersByTime(30_000); // half a minute of countdown, one event a second
  expect(countdown.at(-1)).toBe(30_000);
  expect(countdown.length).toBeGreaterThanOrEqual(30);

  vi.advanceTimersByTime(30_000); // the 15th minute: expired
  expect(session.state).toBe("expired");
  expect(expired).toEqual([expect.objectContaining({ reason: "idle" })]);
  session.destroy();
});

test("activity during the warning keeps the session", () => {
  vi.useFakeTimers();
  const session = new Session({ idleTimeoutMs: 15 * 60_000, warnBeforeMs: 60_000 });
  session.start({ access_token: "access-1", expires_in: 3600 });
  vi.advanceTimersByTime(14 * 60_000 + 10_000);
  expect(session.state).toBe("warning");

  session.staySignedIn(); // what a "Stay signed in" button calls
  expect(session.state).toBe("active");
  vi.advanceTimersByTime(10 * 60_000);
  expect(session.state).toBe("active");
  session.destroy();
});

// Jest's fake timers fake `queueMicrotask` too: the SDK's async work does not go through it.
test("a silent refresh completes with queueMicrotask faked too", async () => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "queueMicrotask"] });
  const session = new Session({
    refreshJitterMs: 0,
    refresh: async () => ({ access_token: "access-2", refresh_token: "refresh-2", expires_in: 3600 }),
  });
  const refreshed = [];
  session.on("refreshed", (e) => refreshed.push(e));
  session.start({ access_token: "access-1", refresh_token: "refresh-1", expires_in: 4 });
  await vi.advanceTimersByTimeAsync(5_000);
  expect(refreshed).toHaveLength(1);
  expect(session.accessToken).toBe("access-2");
  expect(session.state).toBe("active");
  session.destroy();
});
