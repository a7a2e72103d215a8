// Artifact rows on both dialects: one upload per name wins, overwrite and expiry replace, an event row goes with each.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sql } from "kysely";
import { getArtifact, listArtifacts, recordArtifact, type NewArtifact } from "../../src/store/index.js";
import { DIALECTS, insertTestRun, openStoreWithRepository } from "./test-stores.js";

const future = "2999-01-01T00:00:00.000Z";

function artifactInput(runId: number, overrides: Partial<NewArtifact> = {}): NewArtifact {
  return {
    runId,
    name: "build-output",
    digest: "a".repeat(64),
    size: 8,
    fileCount: 2,
    expiresAt: future,
    jobId: 1,
    runnerId: "runner-1",
    overwrite: false,
    ...overrides,
  };
}

for (const dialect of DIALECTS) {
  describe(`artifacts (${dialect})`, () => {
    test("records the row and an artifact:uploaded event; the same name again is taken", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { run } = await insertTestRun(store, repositoryId);
      const written: number[] = [];
      const first = await recordArtifact(store, artifactInput(run.id), async (artifact) => {
        written.push(artifact.id);
      });
      assert.ok("artifact" in first);
      assert.deepEqual(written, [first.artifact.id]);
      assert.equal(first.artifact.fileCount, 2);
      assert.deepEqual(await getArtifact(store, first.artifact.id), first.artifact);
      const events = await store.db
        .selectFrom("events")
        .select(["action", "resource_type", "resource_id", "actor", "payload"])
        .where("action", "=", "artifact:uploaded")
        .execute();
      assert.equal(events.length, 1);
      assert.equal(events[0]!.resource_id, String(run.id));
      assert.equal(events[0]!.actor, "runner-1");
      assert.equal(JSON.parse(events[0]!.payload).artifactId, first.artifact.id);

      const again = await recordArtifact(
        store,
        artifactInput(run.id, { digest: "b".repeat(64) }),
        async () => {
          assert.fail("a refused upload must not write content");
        },
      );
      assert.deepEqual(again, { isNameTaken: true });
      assert.equal((await listArtifacts(store, run.id)).length, 1);
    });

    test("a failed content write leaves no row and no event", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { run } = await insertTestRun(store, repositoryId);
      await assert.rejects(
        recordArtifact(store, artifactInput(run.id), async () => {
          throw new Error("disk full");
        }),
        /disk full/,
      );
      assert.deepEqual(await listArtifacts(store, run.id), []);
      const events = await store.db
        .selectFrom("events")
        .select("id")
        .where("action", "=", "artifact:uploaded")
        .execute();
      assert.equal(events.length, 0);
    });

    test("overwrite and an expired artifact both give the name a new row", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { run } = await insertTestRun(store, repositoryId);
      const write = async () => undefined;
      const first = await recordArtifact(store, artifactInput(run.id), write);
      assert.ok("artifact" in first);
      const overwritten = await recordArtifact(
        store,
        artifactInput(run.id, { overwrite: true, size: 9 }),
        write,
      );
      assert.ok("artifact" in overwritten);
      assert.notEqual(overwritten.artifact.id, first.artifact.id);
      assert.equal(await getArtifact(store, first.artifact.id), undefined);

      // Simulated elapsed time: the row's expiry is written into the past, never slept for.
      await sql`update artifacts set expires_at = ${"2000-01-01T00:00:00.000Z"} where id = ${overwritten.artifact.id}`.execute(
        store.db,
      );
      const replaced = await recordArtifact(store, artifactInput(run.id, { size: 10 }), write);
      assert.ok("artifact" in replaced);
      assert.deepEqual(
        (await listArtifacts(store, run.id)).map((artifact) => artifact.size),
        [10],
      );
    });

    test("concurrent uploads of one name: exactly one is recorded", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const { run } = await insertTestRun(store, repositoryId);
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          recordArtifact(store, artifactInput(run.id, { size: index }), async () => undefined),
        ),
      );
      assert.equal(results.filter((result) => "artifact" in result).length, 1);
      assert.equal((await listArtifacts(store, run.id)).length, 1);
    });
  });
}
