// Benchmarks for containers (npm run bench:containers): pulling a ~100 MB image from a loopback registry cold and
// warm, a container job's start (job started → first line of its first step), and a PostgreSQL service's ready time.
// JSON on stdout with p50 and p95, like the other benches.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { loadWorkflow } from "../src/workflow/index.js";
import { HostExecutor, ImageStore, JobContainers } from "../src/runner/index.js";
import { runWorkflow } from "../src/engine/index.js";
import { startOciRegistry } from "../test/support/oci-registry.js";
import { testImages } from "../test/support/test-images.js";
import { summarize, time } from "./summarize.js";
import { benchRunSettings } from "./bench-run.js";

const base = await mkdtemp(path.join(os.tmpdir(), "hangar-bench-containers-"));
const registry = await startOciRegistry();
try {
  const images = await testImages(registry, ["debian-bash", "postgres", "big"]);

  // 1. Pulls of the big image: a fresh store each time (cold), then the same store again (warm).
  let coldIndex = 0;
  const pullCold = await time(5, async () => {
    const store = new ImageStore({ dir: path.join(base, `cold-${coldIndex++}`) });
    await store.ensure(images.big);
  });
  const warmStore = new ImageStore({ dir: path.join(base, "cold-0") });
  const pullWarm = await time(20, () => warmStore.ensure(images.big));
  const pullWarmAlways = await time(5, () => warmStore.ensure(images.big, { pull: "always" }));
  const bigSize = (await warmStore.list())[0]?.size;
  for (let i = 1; i < coldIndex; i++)
    await rm(path.join(base, `cold-${i}`), { recursive: true, force: true });

  // 2. Container job start through the engine and runner, the image already in the store.
  const dataDir = path.join(base, "data");
  await new ImageStore({ dir: path.join(dataDir, "images") }).ensure(images["debian-bash"]);
  const loaded = await loadWorkflow({
    path: "bench.yml",
    content: `on: push\njobs:\n  bench:\n    runs-on: ubuntu-latest\n    container: ${images["debian-bash"]}\n    steps:\n      - run: echo first-line\n`,
  });
  if (!loaded.workflow) throw new Error(loaded.diagnostics.map((d) => d.message).join("; "));
  const workflow = loaded.workflow;
  const executor = new HostExecutor({ baseDir: path.join(base, "host") });
  const jobStart: number[] = [];
  for (let i = 0; i < 50; i++) {
    const handle = runWorkflow(workflow, {
      executor,
      dataDir,
      ...benchRunSettings(),
      baseEnv: {},
    });
    let started = 0;
    let firstLine = 0;
    handle.on("job:started", () => (started = performance.now()));
    handle.on("log:line", ({ step, line }) => {
      if (step && line.stream === "stdout" && firstLine === 0) firstLine = performance.now();
    });
    const result = await handle.result;
    if (result.conclusion !== "success")
      throw new Error(`container job failed: ${JSON.stringify(result.jobs)}`);
    jobStart.push(firstLine - started);
  }

  // 3. Service ready: start → `pg_isready` passes, checked every 100 ms.
  const postgres = await new ImageStore({ dir: path.join(dataDir, "images") }).ensure(images.postgres);
  const serviceReady: number[] = [];
  for (let i = 0; i < 10; i++) {
    const containers = await JobContainers.create({ dir: path.join(base, `service-${i}`), network: "host" });
    try {
      const start = performance.now();
      await containers.startService({
        name: "postgres",
        image: postgres,
        env: { POSTGRES_PASSWORD: "bench" },
        options: "--health-cmd pg_isready --health-interval 100ms --health-retries 300",
      });
      serviceReady.push(performance.now() - start);
    } finally {
      await containers.destroy();
      await rm(path.join(base, `service-${i}`), { recursive: true, force: true });
    }
  }

  const report = {
    machine: {
      node: process.version,
      cpus: os.availableParallelism(),
      platform: `${os.platform()}-${os.arch()}`,
    },
    imagePull: {
      reference: "hangar-test/big:1 (loopback registry)",
      sizeBytes: bigSize,
      cold: pullCold,
      warm: pullWarm,
      warmPullAlways: pullWarmAlways,
    },
    containerJobStart: {
      measured: "job:started → first stdout line of the first step",
      ...summarize(jobStart),
    },
    serviceReady: { service: "hangar-test/postgres:1, pg_isready every 100 ms", ...summarize(serviceReady) },
  };
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
} finally {
  await registry.stop();
  await rm(base, { recursive: true, force: true });
}
