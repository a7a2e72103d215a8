// Built-in actions cannot reach past a job in a microVM: the attack workflow of built-in-attacks.ts under
// `hangar run --executor microvm` (QEMU, a guest built by `hangar vm build`), the file agent running in the guest.
import { after, before, test } from "node:test";
import { testGuestImage } from "../support/guest-image.js";
import { assertCanaryNeverLeaked, plantCanaries, runAttack, type Canaries } from "./built-in-attacks.js";

let canaries: Canaries;
before(async () => {
  canaries = await plantCanaries();
});
after(async () => {
  await canaries.cleanup();
});

test("in a microVM no built-in reads, hashes or writes past the job", { timeout: 900_000 }, async () => {
  const image = await testGuestImage();
  const attack = await runAttack(canaries, [
    "--executor",
    "microvm",
    "--vm-image",
    image.dir,
    "--vm-pool",
    "1",
    "--vm-accel",
    "tcg",
  ]);
  await assertCanaryNeverLeaked(canaries, attack);
});
