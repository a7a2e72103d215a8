// GET /api/jobs/:id/logs/stream over real HTTP on both stores, with this test acting as a runner through the runner
// protocol: a reconnect resumes after Last-Event-ID with no gap or duplicate, live chunks arrive, `end` closes it,
// and a stream left open does not hold the server's close up.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { startServer } from "../../src/server/index.js";
import { insertQueuedJob, insertRepository, type Dialect } from "../../src/store/index.js";
import { createTestDatabase, DIALECTS, insertTestRun } from "../store/test-stores.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { registerHttpRunner } from "../support/http-runner.js";

interface ServerEvent {
  id?: string;
  event: string;
  data: string;
}

/** Reads a text/event-stream body event by event (comment lines are counted, not returned). */
class EventReader {
  readonly #events: ServerEvent[] = [];
  #waiter: (() => void) | undefined;
  #isDone = false;
  comments = 0;

  constructor(body: ReadableStream<Uint8Array>) {
    void this.#pump(body);
  }

  async #pump(body: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder();
    let pending = "";
    try {
      for await (const bytes of body as unknown as AsyncIterable<Uint8Array>) {
        pending += decoder.decode(bytes, { stream: true });
        const blocks = pending.split("\n\n");
        pending = blocks.pop() ?? "";
        for (const block of blocks) this.#take(block);
      }
    } catch {
      // The connection was cut; #isDone tells the reader.
    }
    this.#isDone = true;
    this.#waiter?.();
  }

  #take(block: string) {
    const event: ServerEvent = { event: "message", data: "" };
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) this.comments += 1;
      else if (line.startsWith("id: ")) event.id = line.slice(4);
      else if (line.startsWith("event: ")) event.event = line.slice(7);
      else if (line.startsWith("data: ")) event.data += line.slice(6);
    }
    if (event.data || event.id) this.#events.push(event);
    this.#waiter?.();
  }

  /** The next event, or undefined once the stream has closed. */
  async next(): Promise<ServerEvent | undefined> {
    while (this.#events.length === 0 && !this.#isDone) {
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
    return this.#events.shift();
  }

  async nextLogs(count: number): Promise<number[]> {
    const seqs: number[] = [];
    while (seqs.length < count) {
      const event = await this.next();
      assert.equal(event?.event, "log", JSON.stringify(event));
      seqs.push((JSON.parse(event.data) as { seq: number }).seq);
      assert.equal(event.id, String(seqs[seqs.length - 1]));
    }
    return seqs;
  }
}

/** A server without an embedded runner, and this test as its runner holding the lease of one queued job. */
async function startWithClaimedJob(dialect: Dialect) {
  const database = await createTestDatabase(dialect);
  const server = await startServer({
    dataDir: database.options.dataDir,
    databaseUrl: database.options.url,
    host: "127.0.0.1",
    port: 0,
    embeddedRunnerLabels: [],
  });
  const repository = await insertRepository(server.store, { name: "octo/app", gitUrl: "/srv/app.git" });
  const { run } = await insertTestRun(server.store, repository.id);
  await insertQueuedJob(server.store, {
    runId: run.id,
    attempt: 1,
    key: "build",
    jobId: "build",
    name: "build",
    runsOn: ["linux"],
    request: {},
  });
  const runner = await registerHttpRunner(server, "test", ["linux"]);
  const jobId = await runner.claim();
  return {
    server,
    jobId,
    /** Headers with a viewer API token. */
    viewer: authHeaders(await createApiToken(server.store, { role: "viewer" })),
    appendLogs: (seqs: number[]) => runner.appendLogs(jobId, seqs),
    complete: () => runner.complete(jobId),
  };
}

for (const dialect of DIALECTS) {
  describe(`log stream (${dialect})`, () => {
    test("resumes after Last-Event-ID, follows live chunks and ends with the job's conclusion", async (t) => {
      const runner = await startWithClaimedJob(dialect);
      const server = runner.server;
      t.after(() => server.close());
      await runner.appendLogs([1, 2, 3]);

      // 1. a client that saw chunk 1 reconnects: chunks 2 and 3 and nothing before.
      const first = await fetch(`${server.url}/api/jobs/${runner.jobId}/logs/stream`, {
        headers: { ...runner.viewer, "last-event-id": "1" },
      });
      assert.equal(first.status, 200);
      assert.match(first.headers.get("content-type") ?? "", /^text\/event-stream/);
      const reader = new EventReader(first.body!);
      assert.deepEqual(await reader.nextLogs(2), [2, 3]);
      // 2. chunks stored after the stream opened arrive live, in order and once.
      await runner.appendLogs([4, 5]);
      await runner.appendLogs([4, 5, 6]);
      assert.deepEqual(await reader.nextLogs(3), [4, 5, 6]);
      // 3. completion ends the stream with the conclusion, after every chunk.
      await runner.complete();
      const end = await reader.next();
      assert.deepEqual(
        [end?.event, JSON.parse(end?.data ?? "null")],
        ["end", { status: "completed", conclusion: "success" }],
      );
      assert.equal(await reader.next(), undefined);

      // `?after=` resumes too; Last-Event-ID wins over it, as a browser's EventSource reconnect carries both.
      const byQuery = new EventReader(
        (
          await fetch(`${server.url}/api/jobs/${runner.jobId}/logs/stream?after=4`, {
            headers: runner.viewer,
          })
        ).body!,
      );
      assert.deepEqual(await byQuery.nextLogs(2), [5, 6]);
      assert.equal((await byQuery.next())?.event, "end");
      const both = new EventReader(
        (
          await fetch(`${server.url}/api/jobs/${runner.jobId}/logs/stream?after=1`, {
            headers: { ...runner.viewer, "last-event-id": "5" },
          })
        ).body!,
      );
      assert.deepEqual(await both.nextLogs(1), [6]);

      const missing = await fetch(`${server.url}/api/jobs/99999/logs/stream`, { headers: runner.viewer });
      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as { code: string }).code, "NOT_FOUND");
      const bad = await fetch(`${server.url}/api/jobs/${runner.jobId}/logs/stream`, {
        headers: { ...runner.viewer, "last-event-id": "seven" },
      });
      assert.equal(bad.status, 400);
    });

    test("a stream of a running job ends when the server closes", { timeout: 60_000 }, async () => {
      const runner = await startWithClaimedJob(dialect);
      const server = runner.server;
      await runner.appendLogs([1]);
      const reader = new EventReader(
        (await fetch(`${server.url}/api/jobs/${runner.jobId}/logs/stream`, { headers: runner.viewer })).body!,
      );
      assert.deepEqual(await reader.nextLogs(1), [1]);
      await server.close();
      assert.equal(await reader.next(), undefined);
    });
  });
}
