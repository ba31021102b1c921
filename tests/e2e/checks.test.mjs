// The backend-side checks of the rotation races, fed with stats: they pass a
// healthy single-flight run and fail the ways a broken one looks (numbers from
// real runs with a `navigator.locks` that excludes nothing). No browser here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { assertSingleFlight } from "./harness.mjs";

/** Stats samples as `stats()` returns them: `ages` rotated between `from` and `to`, `ms` apart. */
function samples({ ages, ms, fromBody = 0, reuse = 0, revoked = reuse }) {
  const from = {
    refreshes: 3, refreshesFromBody: 0, reuseDetected: 0, revokedFamilies: 0,
    refreshTokenAgesMs: [700, 1_100, 1_200], askedAt: 1_000_000, answeredAt: 1_000_004,
  };
  const to = {
    refreshes: 3 + ages.length, refreshesFromBody: fromBody, reuseDetected: reuse, revokedFamilies: revoked,
    refreshTokenAgesMs: [...from.refreshTokenAgesMs, ...ages], askedAt: from.askedAt + ms - 4, answeredAt: from.askedAt + ms,
  };
  return [from, to];
}

const healthy = [1_155, 1_195, 1_081, 1_076, 1_161, 1_034, 1_054, 1_076, 1_092, 1_087, 1_102, 1_160];

test("a healthy run passes, with the token in a cookie or in the body", () => {
  assert.equal(assertSingleFlight(...samples({ ages: healthy, ms: 13_600 }), { lifetimeMs: 2_000 }), 12);
  const body = samples({ ages: healthy, ms: 13_600, fromBody: 12 });
  assert.equal(assertSingleFlight(...body, { lifetimeMs: 2_000, refreshToken: "body" }), 12);
});

test("a second refresh right after another tab's fails, though the count looks normal", () => {
  // 12 refreshes in 9.4 s: inside the old "10 to 16 in 12 s" range.
  const broken = [690, 47, 22, 1_155, 1_195, 1_081, 1_076, 1_161, 1_034, 97, 1_054, 1_076];
  assert.throws(() => assertSingleFlight(...samples({ ages: broken, ms: 9_391 }), { lifetimeMs: 2_000 }),
    /every rotated token had lived 500 ms or more/);
});

test("more refreshes than quarter lifetimes elapsed fails", () => {
  const many = Array.from({ length: 14 }, () => 520);
  assert.throws(() => assertSingleFlight(...samples({ ages: many, ms: 6_000 }), { lifetimeMs: 2_000 }),
    /at most one refresh per 500 ms/);
});

test("a rotated-out token presented, or a family revoked, fails", () => {
  assert.throws(() => assertSingleFlight(...samples({ ages: [635, 1_061, 1_054], ms: 4_000, fromBody: 3, reuse: 1 }),
    { lifetimeMs: 2_000, refreshToken: "body" }), /no tab presented a rotated-out refresh token/);
  assert.throws(() => assertSingleFlight(...samples({ ages: [635], ms: 4_000, revoked: 1 }), { lifetimeMs: 2_000 }),
    /no token family was revoked/);
});

test("a refresh token that did not come from where the mode puts it fails", () => {
  assert.throws(() => assertSingleFlight(...samples({ ages: healthy, ms: 13_600 }), { lifetimeMs: 2_000, refreshToken: "body" }),
    /refresh tokens presented where the mode puts them/);
  assert.throws(() => assertSingleFlight(...samples({ ages: healthy, ms: 13_600, fromBody: 12 }), { lifetimeMs: 2_000 }),
    /refresh tokens presented where the mode puts them/);
});
