// Each word list of src/contracts/ is written there only: no other source file spells one out again as an array or
// a union type (the database's CHECK constraints are compared with the lists in test/store/drift.test.ts).
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import * as vocabulary from "../../src/contracts/index.js";

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src");

const lists = (Object.entries(vocabulary) as [string, unknown][]).filter(
  (entry): entry is [string, readonly string[]] => Array.isArray(entry[1]) && entry[1].length >= 2,
);

/** Files that list some of these words for another purpose, and why. */
const otherPurposes: Record<string, string> = {
  "store/transitions.ts": "the statuses each status may move to, which may read like a whole list",
};

/** The list written out in TypeScript: `"a", "b"` in an array or `"a" | "b"` in a type, in this order. */
function spelledOut(words: readonly string[]): RegExp {
  const quoted = words.map((word) => `"${word}"`);
  return new RegExp(`${quoted.join(",\\s*")}|${quoted.join("\\s*\\|\\s*")}`);
}

test("every word list is defined once, in src/contracts/", async () => {
  assert.ok(lists.length >= 8, `found the lists ${lists.map(([name]) => name).join(", ")}`);
  const files = (await readdir(src, { recursive: true, encoding: "utf8" })).filter(
    (file) => file.endsWith(".ts") && !file.startsWith("contracts/") && !(file in otherPurposes),
  );
  const copies: string[] = [];
  for (const file of files) {
    const text = await readFile(path.join(src, file), "utf8");
    for (const [name, words] of lists) {
      if (spelledOut(words).test(text)) copies.push(`${file} spells out ${name}`);
    }
  }
  assert.deepEqual(copies, []);
});

test("a runner may report every stop reason but the one only the server can see", () => {
  assert.deepEqual(
    vocabulary.STOP_REASONS.filter(
      (reason) => !(vocabulary.RUNNER_STOP_REASONS as string[]).includes(reason),
    ),
    ["runner_lost"],
  );
});
