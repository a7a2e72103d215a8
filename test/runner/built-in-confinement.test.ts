// Built-in actions cannot reach past their job (issue: "a sandboxed job reaches the runner's files through built-in
// actions"): the attack workflow of built-in-attacks.ts on the sandbox executor and in a job container, with real
// bubblewrap and crun; the microVM run is in microvm-built-ins.test.ts.
import { afterEach, beforeEach, test } from "node:test";
import { startOciRegistry, type OciRegistry } from "../support/oci-registry.js";
import { testImages } from "../support/test-images.js";
import { assertCanaryNeverLeaked, plantCanaries, runAttack, type Canaries } from "./built-in-attacks.js";

// Each run gets its own data dir: a cache the first run saved would make the second's save a no-op.
let canaries: Canaries;
beforeEach(async () => {
  canaries = await plantCanaries();
});
afterEach(async () => {
  await canaries.cleanup();
});

test(
  "on the sandbox executor no built-in reads, hashes or writes past the job",
  { timeout: 900_000 },
  async () => {
    const attack = await runAttack(canaries, ["--executor", "sandbox"]);
    await assertCanaryNeverLeaked(canaries, attack);
  },
);

test(
  "in a job container no built-in reads, hashes or writes past the job",
  { timeout: 900_000 },
  async () => {
    let registry: OciRegistry | undefined;
    try {
      registry = await startOciRegistry();
      const images = await testImages(registry, ["debian-bash"]);
      const attack = await runAttack(
        canaries,
        ["--executor", "sandbox"],
        `    container:\n      image: ${images["debian-bash"]}\n`,
      );
      await assertCanaryNeverLeaked(canaries, attack);
    } finally {
      await registry?.stop();
    }
  },
);
