// The audit chain on both dialects: appends link, the triggers refuse changes, and verify names the first broken link
// after tampering done as a database superuser would (triggers bypassed), including a fully recomputed chain.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { sql } from "kysely";
import {
  appendEvent,
  canonicalJson,
  hashEvent,
  listAuditEvents,
  openStore,
  readCheckpointPublicKey,
  readSignedCheckpoint,
  transitionRun,
  verifyAuditChain,
  writeAuditCheckpoint,
} from "../../src/store/index.js";
import { asSuperuser, events, recomputeChain } from "./audit-tamper.js";
import { createTestDatabase, DIALECTS, insertTestRun, openStoreWithRepository } from "./test-stores.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const dataDirs: string[] = [];
after(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** A store with a run's lifecycle and a few standalone events: 6 events in all. */
async function storeWithEvents(dialect: (typeof DIALECTS)[number]) {
  const { store, repositoryId } = await openStoreWithRepository(dialect);
  const { run } = await insertTestRun(store, repositoryId, [
    { key: "build", jobId: "build", name: "build", runsOn: ["linux"] },
  ]);
  await transitionRun(store, run.id, { to: "in_progress" });
  await transitionRun(store, run.id, { to: "completed", conclusion: "success" });
  for (const name of ["API_KEY", "DEPLOY_KEY", "TOKEN"])
    await appendEvent(store, {
      action: "secret:set",
      resourceType: "secret",
      resourceId: `octo/app/${name}`,
      actor: "local:alice",
      status: "success",
      latencyMs: 12.4,
      payload: { name, scope: { repository: "octo/app" } },
    });
  return { store, runId: run.id };
}

for (const dialect of DIALECTS) {
  describe(`audit chain (${dialect})`, () => {
    test("events link into one chain with envelopes and trace ids, and verify passes", async () => {
      const { store, runId } = await storeWithEvents(dialect);
      const all = await events(store);
      assert.equal(all.length, 6);
      assert.deepEqual(
        all.map((event) => event.seq),
        [1, 2, 3, 4, 5, 6],
      );
      for (const [index, event] of all.entries()) {
        assert.equal(event.prev_hash, index === 0 ? "0".repeat(64) : all[index - 1]!.hash);
        assert.equal(event.hash, hashEvent(event));
        assert.match(event.event_id, /^[0-9a-f-]{36}$/);
        assert.match(event.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      assert.deepEqual(
        all.slice(0, 3).map((event) => [event.action, event.trace_id]),
        [
          ["run:queued", `${runId}-1`],
          ["run:started", `${runId}-1`],
          ["run:finished", `${runId}-1`],
        ],
      );
      const secret = all[3]!;
      assert.equal(secret.status, "success");
      assert.equal(secret.latency_ms, 12);
      assert.deepEqual(secret.resource, { type: "secret", id: "octo/app/API_KEY" });
      // The hash is that of the documented canonical form.
      const { hash, ...envelope } = secret;
      assert.equal(hash, hashEvent(envelope));
      assert.ok(
        canonicalJson({ ...envelope, id: undefined }).startsWith(
          '{"action":"secret:set","actor":"local:alice","at":',
        ),
      );

      const verified = await verifyAuditChain(store);
      assert.equal(verified.isIntact, true, verified.broken?.message);
      assert.equal(verified.count, 6);
      assert.deepEqual(verified.head, { count: 6, event_id: all[5]!.event_id, hash: all[5]!.hash });

      const trace = await listAuditEvents(store, { trace: `${runId}-1` });
      assert.equal(trace.events.length, 3);
      const secrets = await listAuditEvents(store, { action: "secret:*", actor: "local:alice", limit: 2 });
      assert.deepEqual(
        secrets.events.map((event) => event.seq),
        [4, 5],
      );
      const next = await listAuditEvents(store, { action: "secret:*", cursor: secrets.nextCursor });
      assert.deepEqual(
        next.events.map((event) => event.seq),
        [6],
      );
      const byResource = await listAuditEvents(store, { resource: "secret:octo/app/TOKEN" });
      assert.equal(byResource.events.length, 1);
      assert.equal((await listAuditEvents(store, { since: "2999-01-01" })).events.length, 0);
    });

    test("the database refuses UPDATE and DELETE on events", async () => {
      const { store } = await storeWithEvents(dialect);
      await assert.rejects(
        store.db.updateTable("events").set({ actor: "mallory" }).where("seq", "=", 2).execute(),
        /append-only: UPDATE refused/,
      );
      await assert.rejects(
        store.db.deleteFrom("events").where("seq", "=", 2).execute(),
        /append-only: DELETE refused/,
      );
      if (dialect === "postgres")
        await assert.rejects(sql`truncate events`.execute(store.db), /append-only: TRUNCATE refused/);
      await assert.rejects(store.db.deleteFrom("events_chain_head").execute());
      assert.equal((await verifyAuditChain(store)).isIntact, true);
    });

    test("verify names a single altered row", async () => {
      const { store } = await storeWithEvents(dialect);
      const target = (await events(store))[3]!;
      await asSuperuser(store, (db) =>
        db
          .updateTable("events")
          .set({ payload: JSON.stringify({ name: "API_KEY", scope: { repository: "octo/other" } }) })
          .where("id", "=", target.id)
          .execute(),
      );
      const verified = await verifyAuditChain(store);
      assert.equal(verified.isIntact, false);
      assert.equal(verified.broken?.kind, "altered");
      assert.equal(verified.broken?.id, target.id);
      assert.match(
        verified.broken!.message,
        new RegExp(`row ${target.id} \\(seq 4, secret:set\\) was altered`),
      );
    });

    test("verify names a single deleted row, in the middle and at the end", async () => {
      const { store } = await storeWithEvents(dialect);
      const all = await events(store);
      await asSuperuser(store, (db) => db.deleteFrom("events").where("id", "=", all[2]!.id).execute());
      const middle = await verifyAuditChain(store);
      assert.equal(middle.broken?.kind, "missing");
      assert.equal(middle.broken?.id, all[3]!.id);
      assert.match(
        middle.broken!.message,
        /seq 3 was expected: 1 event\(s\) deleted after row \d+ \(seq 2\)/,
      );

      const other = await storeWithEvents(dialect);
      const last = (await events(other.store))[5]!;
      await asSuperuser(other.store, (db) => db.deleteFrom("events").where("id", "=", last.id).execute());
      const tail = await verifyAuditChain(other.store);
      assert.equal(tail.broken?.kind, "truncated");
      assert.match(tail.broken!.message, /records 6 events but the table ends at seq 5/);
    });

    test("a row changed and rehashed breaks the next link; a recomputed chain needs a checkpoint", async () => {
      const { store } = await storeWithEvents(dialect);
      const dataDir = mkdtempSync(path.join(os.tmpdir(), "hangar-audit-"));
      dataDirs.push(dataDir);
      const { checkpoint, file } = await writeAuditCheckpoint(store, dataDir);
      assert.equal(checkpoint.count, 6);
      const publicKey = await readCheckpointPublicKey(dataDir);
      assert.deepEqual(readSignedCheckpoint(readFileSync(file, "utf8"), publicKey), checkpoint);
      const forged = { ...checkpoint, count: 5 };
      assert.throws(() => readSignedCheckpoint(JSON.stringify(forged), publicKey), /signature is invalid/);
      // More events after the checkpoint are fine.
      await appendEvent(store, {
        action: "delivery:received",
        resourceType: "audit",
        resourceId: "events",
        payload: {},
      });
      assert.equal((await verifyAuditChain(store, { checkpoint })).isIntact, true);

      const all = await events(store);
      const rewritten = { ...all[1]!, actor: "mallory" };
      await asSuperuser(store, (db) =>
        db
          .updateTable("events")
          .set({ actor: "mallory", hash: hashEvent(rewritten) })
          .where("id", "=", rewritten.id)
          .execute(),
      );
      const relinked = await verifyAuditChain(store);
      assert.equal(relinked.broken?.kind, "relinked");
      assert.equal(relinked.broken?.id, all[2]!.id);

      await recomputeChain(store, 3);
      assert.equal((await verifyAuditChain(store)).isIntact, true, "a recomputed chain verifies on its own");
      const against = await verifyAuditChain(store, { checkpoint });
      assert.equal(against.isIntact, false);
      assert.equal(against.broken?.kind, "checkpoint-mismatch");
      assert.equal(against.broken?.seq, 6);
    });

    test("a row inserted around recordEvent is reported as unchained", async () => {
      const { store } = await storeWithEvents(dialect);
      const row = await store.db
        .insertInto("events")
        .values({ action: "run:queued", resource_type: "run", resource_id: "9", payload: "{}" })
        .returning("id")
        .executeTakeFirstOrThrow();
      const verified = await verifyAuditChain(store);
      assert.equal(verified.broken?.kind, "unchained");
      assert.equal(verified.broken?.id, row.id);
    });

    test("concurrent appenders in separate processes keep one linear chain", async () => {
      const database = await createTestDatabase(dialect);
      const store = await openStore(database.options);
      try {
        const perProcess = 100;
        const results = await appendInChildren(database.options, 4, perProcess);
        for (const result of results) assert.equal(result.code, 0, result.stderr);
        const all = await events(store);
        assert.equal(all.length, 4 * perProcess);
        assert.deepEqual(
          all.map((event) => event.seq),
          all.map((_, index) => index + 1),
        );
        assert.equal(new Set(all.map((event) => event.actor)).size, 4);
        // The writers really overlapped: the chain switches between them many times.
        const switches = all.filter((event, index) => index > 0 && event.actor !== all[index - 1]!.actor);
        assert.ok(switches.length > 3, `only ${switches.length} switches between writers`);
        const verified = await verifyAuditChain(store);
        assert.equal(verified.isIntact, true, verified.broken?.message);
        assert.equal(verified.count, 4 * perProcess);
      } finally {
        await store.close();
      }
    });
  });
}

describe("audit chain migration", () => {
  for (const dialect of DIALECTS)
    test(`events written before migration 7 are chained by it (${dialect})`, async () => {
      const database = await createTestDatabase(dialect, { isMigrated: false });
      const { MIGRATIONS } = await import("../../src/store/index.js");
      const before = await openStore({
        ...database.options,
        migrations: MIGRATIONS.filter((m) => m.version < 7),
      });
      for (const id of [1, 2, 3])
        await before.db
          .insertInto("events")
          .values({
            action: "runner:registered",
            resource_type: "runner",
            resource_id: String(id),
            payload: JSON.stringify({ z: id, a: [1, { b: 2, a: 1 }] }),
          })
          .execute();
      await before.close();
      const store = await openStore(database.options);
      try {
        const all = await events(store);
        assert.deepEqual(
          all.map((event) => event.seq),
          [1, 2, 3],
        );
        await appendEvent(store, {
          action: "delivery:received",
          resourceType: "audit",
          resourceId: "x",
          payload: {},
        });
        const verified = await verifyAuditChain(store);
        assert.equal(verified.isIntact, true, verified.broken?.message);
        assert.equal(verified.count, 4);
      } finally {
        await store.close();
      }
    });
});

/** Child processes (audit-append-process.ts) with their own connections, released together once all are ready. */
async function appendInChildren(
  options: { url?: string; dataDir: string },
  count: number,
  perChild: number,
): Promise<{ code: number | null; stderr: string }[]> {
  const children = Array.from({ length: count }, (_, index) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        path.join(root, "scripts/register.mjs"),
        path.join(root, "test/store/audit-append-process.ts"),
        JSON.stringify({ options, actor: `writer-${index}`, count: perChild }),
      ],
      { stdio: ["pipe", "ignore", "pipe"] },
    );
    let stderr = "";
    const ready = new Promise<void>((resolve) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes("ready\n")) resolve();
      });
      child.on("close", () => resolve());
    });
    const done = new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stderr }));
    });
    return { child, ready, done };
  });
  await Promise.all(children.map(({ ready }) => ready));
  for (const { child } of children) child.stdin.end("go\n");
  return Promise.all(children.map(({ done }) => done));
}
