// `hangar audit` as a user runs it, on both stores: verify (and its exit codes), query, export, checkpoint and a
// checkpoint that catches a chain rewritten and rehashed by someone with database access.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { appendEvent, openStore, type AuditEvent } from "../../src/store/index.js";
import { asSuperuser, events, recomputeChain } from "../store/audit-tamper.js";
import { createTestDatabase, DIALECTS } from "../store/test-stores.js";
import { runHangar } from "../support/hangar-cli.js";

for (const dialect of DIALECTS) {
  describe(`hangar audit (${dialect})`, () => {
    test("verify, query, export, checkpoint, and verify --checkpoint after a rewrite", async (t) => {
      const database = await createTestDatabase(dialect);
      const store = await openStore(database.options);
      t.after(() => store.close());
      for (const [index, actor] of ["local:alice", "local:bob", "local:alice", "local:carol"].entries())
        await appendEvent(store, {
          action: index % 2 ? "environment:updated" : "secret:set",
          resourceType: index % 2 ? "environment" : "secret",
          resourceId: `octo/app/${index}`,
          actor,
          run: { id: 7, attempt: 2 },
          payload: { index },
        });
      const location = [
        "--data-dir",
        database.options.dataDir,
        ...(database.options.url ? ["--database-url", database.options.url] : []),
      ];

      const intact = await runHangar(["audit", "verify", ...location]);
      assert.equal(intact.code, 0, intact.stderr);
      assert.match(intact.stdout, /^audit chain intact: 4 events, head [0-9a-f]{64}\n$/);

      const query = await runHangar([
        "audit",
        "query",
        "--actor",
        "local:alice",
        "--trace",
        "7-2",
        "--jsonl",
        ...location,
      ]);
      assert.equal(query.code, 0, query.stderr);
      const found = query.stdout
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as AuditEvent);
      assert.deepEqual(
        found.map((event) => [event.seq, event.action]),
        [
          [1, "secret:set"],
          [3, "secret:set"],
        ],
      );
      const table = await runHangar([
        "audit",
        "query",
        "--action",
        "environment:*",
        "--since",
        "1h",
        ...location,
      ]);
      assert.equal(table.code, 0, table.stderr);
      assert.equal(table.stdout.trimEnd().split("\n").length, 2);
      assert.match(table.stdout, /environment:updated\s+environment:octo\/app\/1/);
      const bad = await runHangar(["audit", "query", "--limit", "0", ...location]);
      assert.equal(bad.code, 2);

      const exportFile = path.join(database.options.dataDir, "trail.jsonl");
      const exported = await runHangar(["audit", "export", "--jsonl", exportFile, ...location]);
      assert.equal(exported.code, 0, exported.stderr);
      assert.equal(readFileSync(exportFile, "utf8").trimEnd().split("\n").length, 4);

      const signed = await runHangar(["audit", "checkpoint", "--json", ...location]);
      assert.equal(signed.code, 0, signed.stderr);
      const checkpoint = JSON.parse(signed.stdout) as { count: number; file: string };
      assert.equal(checkpoint.count, 4);
      const key = path.join(database.options.dataDir, "audit", "checkpoint-key.pem");
      assert.equal(statSync(key).mode & 0o777, 0o600);
      const publicKey = await runHangar(["audit", "public-key", ...location]);
      assert.match(publicKey.stdout, /^-----BEGIN PUBLIC KEY-----/);
      const holds = await runHangar(["audit", "verify", "--checkpoint", checkpoint.file, ...location]);
      assert.equal(holds.code, 0, holds.stdout + holds.stderr);
      assert.match(holds.stdout, /contains checkpoint of event 4/);

      // Someone with database access edits event 2 and rehashes everything after it: only the checkpoint tells.
      const second = (await events(store))[1]!;
      await asSuperuser(store, (db) =>
        db.updateTable("events").set({ actor: "local:mallory" }).where("id", "=", second.id).execute(),
      );
      const altered = await runHangar(["audit", "verify", ...location]);
      assert.equal(altered.code, 1);
      assert.match(altered.stdout, new RegExp(`BROKEN at row ${second.id} \\(altered\\)`));
      await recomputeChain(store, 2);
      assert.equal((await runHangar(["audit", "verify", ...location])).code, 0);
      const caught = await runHangar([
        "audit",
        "verify",
        "--checkpoint",
        checkpoint.file,
        "--json",
        ...location,
      ]);
      assert.equal(caught.code, 1);
      assert.equal(
        (JSON.parse(caught.stdout) as { broken: { kind: string } }).broken.kind,
        "checkpoint-mismatch",
      );
    });
  });
}
