// on: schedule in hangar serve: crons read from the default branch, and a scheduled time fires once even when
// two servers share the database.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { describe, test } from "node:test";
import { startServer } from "../../src/server/index.js";
import { getRepository, insertRepository, listRuns } from "../../src/store/index.js";
import { waitFor } from "../support/hangar-process.js";
import { DIALECTS, createTestDatabase } from "../store/test-stores.js";
import { makeGitRepo } from "../support/git-repo.js";

const nightly = `name: nightly
on:
  schedule:
    - cron: "0 3 * * *"
jobs:
  report:
    runs-on: ubuntu-latest
    steps:
      - run: test "\${{ github.event_name }}" = schedule && test "\${{ github.event.schedule }}" = "0 3 * * *"
`;

for (const dialect of DIALECTS) {
  describe(`on ${dialect}`, () => {
    test("a scheduled time fires one run, whichever of two servers fires it", async (t) => {
      const repo = await makeGitRepo({ ".github/workflows/nightly.yml": nightly });
      const database = await createTestDatabase(dialect);
      const config = {
        dataDir: database.options.dataDir,
        databaseUrl: database.options.url,
        host: "127.0.0.1",
        port: 0,
        embeddedRunnerLabels: ["ubuntu-latest"],
      };
      const first = await startServer(config);
      const second = await startServer({ ...config, embeddedRunnerLabels: [] });
      t.after(async () => {
        await second.close();
        await first.close();
        await rm(repo, { recursive: true, force: true });
      });
      await insertRepository(first.store, { name: "octo-org/nightly", gitUrl: repo, webhookSecret: "s" });
      const repository = (await getRepository(first.store, "octo-org/nightly"))!;
      await first.scheduler.refresh(repository);
      await second.scheduler.refresh(repository);
      const [entry] = first.scheduler.entries();
      assert.equal(entry?.cron, "0 3 * * *");
      assert.equal(entry?.nextRun?.getUTCHours(), 3);

      const scheduledAt = new Date("2026-11-24T03:00:00Z");
      assert.equal(await first.scheduler.fire(repository, entry!.file, entry!.cron, scheduledAt), true);
      assert.equal(await second.scheduler.fire(repository, entry!.file, entry!.cron, scheduledAt), false);
      // Queued like a webhook delivery: either server's intake takes it.
      const runs = await waitFor("the scheduled run", async () => {
        const listed = (await listRuns(first.store)).runs;
        return listed.length > 0 && listed.every((run) => run.status === "completed") ? listed : undefined;
      });
      assert.deepEqual(
        runs.map((r) => [r.event, r.conclusion]),
        [["schedule", "success"]],
      );
    });
  });
}
