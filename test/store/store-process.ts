// A separate process with its own store connection, for the concurrency tests: it reports "ready" on stderr, waits
// for a line on stdin so all processes start together, runs its task and prints a JSON result on stdout.
import { once } from "node:events";
import { claimJob, MIGRATIONS, openStore, type Migration } from "../../src/store/index.js";

interface Task {
  kind: "migrate" | "claim";
  options: { url?: string; dataDir: string };
  /** migrate: also apply a probe migration that counts its own runs. */
  withProbe?: boolean;
  labels?: string[];
  runnerId?: string;
}

const task = JSON.parse(process.argv[2]!) as Task;

const probe: Migration = {
  version: 1000,
  name: "probe",
  up: async (db) => {
    await db.schema.createTable("probe_runs").addColumn("pid", "integer").execute();
    await db.insertInto("probe_runs").values({ pid: process.pid }).execute();
  },
};

/** Opens first when the open is not the work being raced, so only the task itself overlaps. */
const store = task.kind === "claim" ? await openStore(task.options) : undefined;
process.stderr.write("ready\n");
await once(process.stdin, "data");

if (store) {
  const claimed: number[] = [];
  for (;;) {
    const runnerId = task.runnerId ?? `runner-${process.pid}`;
    const job = await claimJob(store, { runnerId, labels: task.labels ?? [], leaseMs: 60_000 });
    if (!job) break;
    claimed.push(job.id);
  }
  await store.close();
  process.stdout.write(JSON.stringify({ claimed }));
} else {
  const migrations = task.withProbe ? [...MIGRATIONS, probe] : MIGRATIONS;
  const opened = await openStore({ ...task.options, migrations });
  await opened.close();
  process.stdout.write(JSON.stringify({ ok: true }));
}
