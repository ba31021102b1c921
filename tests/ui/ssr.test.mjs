// useSession under server rendering (renderToString in Node, React 18 and 19) and
// the dialog entry imported in Node: nothing throws, nothing is created.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { bundle } from "./harness.mjs";

for (const major of [18, 19]) {
  test(`React ${major}, renderToString: the hook renders "anonymous" with no session`, async () => {
    const dir = await mkdtemp(join(tmpdir(), "wasm-session-ssr-"));
    try {
      const file = join(dir, "app.mjs");
      await writeFile(file, await bundle("ssr-app.js", major, "production", "node"));
      const { html, dialogClass } = await import(pathToFileURL(file).href);
      assert.equal(html, "<p>true anonymous null null</p>");
      assert.equal(dialogClass, "function");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
