// The README's "Use with React" snippet (readme-react.jsx, verbatim) bundled with
// React 18 and 19 for production: it renders, joins the session another tab starts,
// and follows that tab's logout.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { PKG, bundle, launch, page, serve } from "./harness.mjs";

const here = new URL(".", import.meta.url).pathname;
const MAJORS = [18, 19];

// Another tab of the same app (same endpoints, so the same default channel).
const OTHER_TAB = `
import init, { Session } from "wasm-session";
await init();
window.session = new Session({ endpoints: { refresh: "/auth/refresh", logout: "/auth/logout" } });
window.ready = true;`;

let server;
let browser;

before(async () => {
  const files = {
    "/other": page("<h1>Other tab</h1>", OTHER_TAB),
    // Where the bundled glue looks for the wasm (next to the bundle), as a bundler would put it.
    "/app/wasm_session_bg.wasm": await readFile(join(PKG, "wasm_session_bg.wasm")),
    "/auth/logout": "",
  };
  for (const major of MAJORS) {
    files[`/app/readme${major}.js`] = await bundle("readme-react.jsx", major, "production");
    files[`/readme${major}`] = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>README, React ${major}</title>` +
      `<link rel="icon" href="data:,"></head><body><main id="root"></main><script type="module" src="/app/readme${major}.js"></script></body></html>`;
  }
  server = await serve(files);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("the README's React snippet is tests/ui/readme-react.jsx, verbatim", async () => {
  const readme = await readFile(join(here, "../../README.md"), "utf8");
  const snippet = await readFile(join(here, "readme-react.jsx"), "utf8");
  assert.ok(readme.includes("```jsx\n" + snippet + "```\n"), "README.md's Use with React block differs from tests/ui/readme-react.jsx");
});

for (const major of MAJORS) {
  test(`React ${major}: the README snippet joins the session another tab starts, and its logout`, async () => {
    const app = await browser.open(`${server.url}/readme${major}`);
    await app.waitForSelector("#state");
    assert.equal(await app.textContent("#state"), "anonymous");
    const other = await browser.open(`${server.url}/other`);
    await other.waitForFunction(() => window.ready === true);
    await other.evaluate(() => window.session.start({ access_token: "token", expires_in: 3600 }));
    await app.waitForFunction(() => document.querySelector("#state")?.textContent === "active", null, { timeout: 20_000 });
    await other.evaluate(() => window.session.logout());
    await app.waitForFunction(() => document.querySelector("#state")?.textContent === "loggedOut", null, { timeout: 20_000 });
    assert.deepEqual([...app.errors, ...other.errors], []);
    await other.close();
    await app.close();
  });
}
