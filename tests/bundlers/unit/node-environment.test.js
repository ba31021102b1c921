// @vitest-environment node
// Unit tests in plain Node (Jest's `testEnvironment: "node"`, which README suggests):
// no window. The SDK's requests and `session.fetch` use the global `fetch`, which a
// test mocks.
import "wasm-session/node";
import { Session } from "wasm-session";
import { afterEach, expect, test, vi } from "vitest";

afterEach(() => {
  vi.unstubAllGlobals();
});

test("without a window, session.fetch and the refresh endpoint go through the global fetch", async () => {
  const calls = [];
  vi.stubGlobal("fetch", async (input, init = {}) => {
    const url = String(input);
    const authorization = new Headers(init.headers).get("Authorization");
    calls.push(`${url} ${authorization}`);
    if (url.endsWith("/auth/refresh")) return Response.json({ access_token: "access-2", expires_in: 3600 });
    return new Response(null, { status: authorization === "Bearer access-2" ? 200 : 401 });
  });
  const session = new Session({
    endpoints: { refresh: "https://api.example/auth/refresh" },
    apiOrigins: ["https://api.example"],
  });
  session.start({ access_token: "access-1", refresh_token: "refresh-1", expires_in: 3600 });
  const response = await session.fetch("https://api.example/orders");
  expect(response.status).toBe(200);
  expect(calls).toEqual([
    "https://api.example/orders Bearer access-1",
    "https://api.example/auth/refresh null",
    "https://api.example/orders Bearer access-2",
  ]);
  session.destroy();
});
