// The microVM executor under whole workflows and hostile jobs: `hangar run --executor microvm` runs the example
// workflow in VMs built by `hangar vm build`, and a fork bomb or a 2 GB allocation in a 256 MB VM stays inside it
// while another VM's job keeps running.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { MicroVmExecutor } from "../../src/runner/index.js";
import { testGuestImage } from "../support/guest-image.js";
import { runHangar } from "../support/hangar-cli.js";
import { createStepFixture, runStep } from "./step-fixture.js";

const exampleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../examples/hello");
const vmTimeout = { timeout: 600_000 };

/** QEMU processes started for VMs below `dir` (their command lines name the share there). */
function qemuProcessesUnder(dir: string): string[] {
  const out = execFileSync("ps", ["-eo", "args"], { encoding: "utf8" });
  return out.split("\n").filter((line) => line.includes("qemu-system") && line.includes(dir));
}

test(
  "hangar run --executor microvm runs the example workflow in VMs, python step included",
  vmTimeout,
  async () => {
    const image = await testGuestImage(["python3-minimal"]);
    const result = await runHangar(
      [
        "run",
        exampleDir,
        "--executor",
        "microvm",
        "--vm-image",
        image.dir,
        "--vm-pool",
        "2",
        "--vm-accel",
        "tcg",
        "--secret",
        "EXAMPLE_TOKEN=example-secret-value",
        "--json",
      ],
      { timeoutMs: 540_000 },
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /microvm executor: QEMU microVMs .*, restored from a saved template/);
    const run = JSON.parse(result.stdout) as {
      conclusion: string;
      jobs: { key: string; conclusion: string }[];
    };
    assert.equal(run.conclusion, "success");
    assert.deepEqual(
      run.jobs.map((job) => `${job.key}=${job.conclusion}`).sort(),
      [
        "prepare=success",
        "report=success",
        "test (1.0, bash)=success",
        "test (2.0, bash)=success",
        "test (2.0, python)=success",
      ].sort(),
    );
    assert.match(result.stderr, /python sees hangar-example for 2\.0/);
    assert.doesNotMatch(result.stderr + result.stdout, /example-secret-value/);
  },
);

test(
  "a fork bomb and a 2 GB allocation stay inside their 256 MB VMs; a third VM's job runs on",
  vmTimeout,
  async () => {
    const image = await testGuestImage();
    const base = await mkdtemp(path.join(tmpdir(), "hangar-microvm-contain-"));
    const executor = new MicroVmExecutor({
      baseDir: base,
      imageDir: image.dir,
      poolSize: 3,
      memoryMiB: 256,
      accel: "tcg",
    });
    try {
      await executor.whenPoolFull();
      const [bomb, hog, bystander] = await Promise.all(
        [1, 2, 3].map(() => createStepFixture(() => executor)),
      );
      const [bombRun, hogRun, bystanderRun] = await Promise.all([
        runStep(bomb!, "bomb() { bomb | bomb & }; bomb; sleep 60", { timeoutMs: 30_000 }),
        // Bash holds the whole 2 GB in one variable: the 256 MB guest's OOM killer ends it, not the host's.
        runStep(hog!, "big=$(head -c 2147483648 /dev/zero | tr '\\0' x); echo allocated ${#big}", {
          timeoutMs: 120_000,
        }),
        runStep(bystander!, "for i in $(seq 1 10); do echo tick $i; sleep 0.5; done"),
      ]);
      assert.notEqual(bombRun.result.outcome, "success", "the fork bomb's step cannot succeed");
      assert.ok(!hogRun.texts.some((text) => text.startsWith("allocated")), hogRun.allText);
      assert.deepEqual(
        bystanderRun.texts,
        Array.from({ length: 10 }, (_, i) => `tick ${i + 1}`),
      );
      assert.equal(bystanderRun.result.outcome, "success");
      for (const fixture of [bomb!, hog!, bystander!]) await fixture.dispose();
    } finally {
      await executor.close();
    }
    assert.deepEqual(qemuProcessesUnder(base), [], "every VM of the executor is gone");
    await rm(base, { recursive: true, force: true });
  },
);
