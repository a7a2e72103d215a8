// Audit benchmark (JSON on stdout), per dialect: chained events written per second (one event per transaction, as
// the store writes them) by 1 and by 4 writer processes, and the time to verify a chain of 1,000,000 events.
// Run: npm run bench:audit   (AUDIT_BENCH_EVENTS=N verifies N events instead of 1,000,000)
import { spawn } from "node:child_process";
import { once } from "node:events";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  appendEvent,
  hashEvent,
  openStore,
  toEventRow,
  verifyAuditChain,
  type Dialect,
} from "../src/store/index.js";
import { startPostgres } from "../test/support/postgres.js";

const WRITES_PER_WRITER = 1_000;
const WRITERS = 4;
const VERIFY_EVENTS = Number(process.env["AUDIT_BENCH_EVENTS"] ?? 1_000_000);
const INSERT_BATCH = 500;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

interface StoreOptions {
  url?: string;
  dataDir: string;
}

const PAYLOAD = { runId: 1, job: { jobId: "build", key: "build", name: "build" }, runnerId: "1" };

/**
 * Child mode: open a connection, say "ready", wait for "go", append events one transaction each: chained through
 * appendEvent, or (`plain`, the baseline) one bare insert as events were written before the chain.
 */
async function writeEvents(options: StoreOptions, count: number, isPlain: boolean): Promise<void> {
  const store = await openStore(options);
  process.stdout.write("ready\n");
  await once(process.stdin, "data");
  const actor = `writer-${process.pid}`;
  for (let index = 0; index < count; index++) {
    if (isPlain)
      await store.db.transaction().execute((trx) =>
        trx
          .insertInto("events")
          .values({
            action: "job:started",
            resource_type: "job",
            resource_id: String(index),
            actor,
            payload: JSON.stringify(PAYLOAD),
          })
          .execute(),
      );
    else
      await appendEvent(store, {
        action: "job:started",
        resourceType: "job",
        resourceId: index,
        actor,
        run: { id: 1, attempt: 1 },
        payload: PAYLOAD,
      });
  }
  await store.close();
}

/** Events per second from `writers` processes appending WRITES_PER_WRITER events each at once. */
async function benchWrites(
  options: StoreOptions,
  writers: number,
  mode: "chained" | "plain",
): Promise<number> {
  const children = Array.from({ length: writers }, () => {
    const child = spawn(process.execPath, [
      "--import",
      path.join(root, "scripts/register.mjs"),
      fileURLToPath(import.meta.url),
      mode,
      JSON.stringify(options),
    ]);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const ready = new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    const done = once(child, "close").then(([code]) => {
      if (code !== 0) throw new Error(`writer exited with ${String(code)}: ${stderr}`);
    });
    return { child, ready, done };
  });
  await Promise.all(children.map((writer) => writer.ready));
  const start = performance.now();
  for (const { child } of children) child.stdin.end("go\n");
  await Promise.all(children.map((writer) => writer.done));
  return Math.round(((writers * WRITES_PER_WRITER) / (performance.now() - start)) * 1000);
}

/**
 * Appends `count` chained events with multi-row inserts in one transaction: the same envelope and hash as
 * recordEvent, without its per-event round trips, so a million events take a minute rather than an hour.
 */
async function generateChain(options: StoreOptions, count: number): Promise<void> {
  const store = await openStore(options);
  const head = await store.db
    .selectFrom("events_chain_head")
    .select(["seq", "hash"])
    .executeTakeFirstOrThrow();
  await store.db.transaction().execute(async (trx) => {
    let seq = Number(head.seq);
    let prevHash = head.hash;
    const start = Date.parse("2025-01-01T00:00:00.000Z");
    while (seq < Number(head.seq) + count) {
      const rows = [];
      for (let index = 0; index < INSERT_BATCH && seq < Number(head.seq) + count; index++) {
        seq += 1;
        const envelope = {
          seq,
          event_id: randomUUID(),
          trace_id: `${Math.ceil(seq / 50)}-1`,
          at: new Date(start + seq).toISOString(),
          actor: "bench",
          action: "step:finished",
          resource: { type: "job", id: String(seq) },
          status: "success",
          latency_ms: seq % 1000,
          metadata: { runId: Math.ceil(seq / 50), step: { index: seq % 7, name: "run tests" }, seq },
          prev_hash: prevHash,
        };
        const hash = hashEvent(envelope);
        rows.push(toEventRow({ ...envelope, hash }));
        prevHash = hash;
      }
      await trx.insertInto("events").values(rows).execute();
    }
    await trx.updateTable("events_chain_head").set({ seq, hash: prevHash }).execute();
  });
  await store.close();
}

async function benchVerify(options: StoreOptions) {
  const generateStart = performance.now();
  await generateChain(options, VERIFY_EVENTS);
  const generateSeconds = (performance.now() - generateStart) / 1000;
  const store = await openStore(options);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const start = performance.now();
  const result = await verifyAuditChain(store);
  const seconds = (performance.now() - start) / 1000;
  clearInterval(sampler);
  await store.close();
  if (!result.isIntact) throw new Error(`generated chain does not verify: ${result.broken?.message}`);
  return {
    events: result.count,
    generateSeconds: Math.round(generateSeconds * 10) / 10,
    verifySeconds: Math.round(seconds * 10) / 10,
    verifiedPerSecond: Math.round(result.count / seconds),
    peakRssMiB: Math.round(peakRss / 1024 / 1024),
  };
}

async function benchDialect(newOptions: () => Promise<StoreOptions>) {
  return {
    chainedWritesPerSecond: {
      oneWriter: await benchWrites(await newOptions(), 1, "chained"),
      fourWriters: await benchWrites(await newOptions(), WRITERS, "chained"),
    },
    unchainedBaselineWritesPerSecond: {
      oneWriter: await benchWrites(await newOptions(), 1, "plain"),
      fourWriters: await benchWrites(await newOptions(), WRITERS, "plain"),
    },
    verify: await benchVerify(await newOptions()),
  };
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode === "chained" || mode === "plain")
    return writeEvents(JSON.parse(process.argv[3]!) as StoreOptions, WRITES_PER_WRITER, mode === "plain");
  const dirs: string[] = [];
  const newDataDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "hangar-bench-audit-"));
    dirs.push(dir);
    return dir;
  };
  const server = await startPostgres(async (url) => (await openStore({ url, dataDir: os.tmpdir() })).close());
  try {
    const results: Partial<Record<Dialect, unknown>> = {};
    results.sqlite = await benchDialect(async () => ({ dataDir: newDataDir() }));
    results.postgres = await benchDialect(async () => ({
      url: await server.cloneTemplate(),
      dataDir: newDataDir(),
    }));
    process.stdout.write(
      `${JSON.stringify({ writesPerWriter: WRITES_PER_WRITER, writers: WRITERS, audit: results }, null, 2)}\n`,
    );
  } finally {
    server.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
