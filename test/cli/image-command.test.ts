// `hangar image` as a user runs it, against a loopback registry filled with the test images.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { runHangar } from "../support/hangar-cli.js";
import { freePort, startOciRegistry, type OciRegistry } from "../support/oci-registry.js";
import { buildTestImages, testImages } from "../support/test-images.js";

let registry: OciRegistry;
let reference: string;
let dataDir: string;

before(async () => {
  registry = await startOciRegistry();
  reference = (await testImages(registry, ["debian-bash"]))["debian-bash"];
  dataDir = await mkdtemp(path.join(os.tmpdir(), "hangar-image-cli-"));
});
after(async () => {
  await registry?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

test("pull, import, ls, rm and gc through the CLI", async () => {
  const pulled = await runHangar(["image", "pull", reference, "--data-dir", dataDir]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, new RegExp(`^${reference}  sha256:[a-f0-9]{64}\\n$`));
  assert.match(pulled.stderr, /^pulled /m);
  const digest = pulled.stdout.trim().split("  ")[1]!;

  const layout = await buildTestImages(["debian-bash"]);
  const imported = await runHangar([
    "image",
    "import",
    `${layout}:debian-bash`,
    "hangar-test/offline:1",
    "--data-dir",
    dataDir,
    "--json",
  ]);
  assert.equal(imported.code, 0, imported.stderr);
  const image = JSON.parse(imported.stdout) as {
    reference: string;
    digest: string;
    config: { cmd: string[] };
  };
  assert.equal(image.reference, "docker.io/hangar-test/offline:1");
  assert.equal(image.digest, digest);
  assert.deepEqual(image.config.cmd, ["/bin/bash"]);

  const table = await runHangar(["image", "ls", "--data-dir", dataDir]);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split("\n");
  assert.match(lines[0]!, /^REFERENCE\s+DIGEST\s+SIZE\s+UNPACKED\s+LAST USED\s+IN USE$/);
  assert.deepEqual(
    lines
      .slice(1)
      .map((line) => line.split(/\s+/)[0])
      .sort(),
    [reference, "docker.io/hangar-test/offline:1"],
  );
  const listed = await runHangar(["image", "ls", "--data-dir", dataDir, "--json"]);
  const { images } = JSON.parse(listed.stdout) as { images: Array<{ digest: string; references: string[] }> };
  assert.deepEqual(
    images.map((entry) => entry.digest),
    [digest],
  );

  const untagged = await runHangar(["image", "rm", "hangar-test/offline:1", "--data-dir", dataDir]);
  assert.equal(untagged.code, 0, untagged.stderr);
  assert.equal(untagged.stdout, "untagged docker.io/hangar-test/offline:1\n");

  const gc = await runHangar(["image", "gc", "--max-size", "1k", "--data-dir", dataDir]);
  assert.equal(gc.code, 0, gc.stderr);
  assert.match(
    gc.stdout,
    new RegExp(`^removed ${reference} ${digest} \\(.* MB, over the size limit\\)$`, "m"),
  );
  const empty = await runHangar(["image", "ls", "--data-dir", dataDir]);
  assert.equal(empty.stdout, "");
  assert.match(empty.stderr, /no images in /);
});

test("bad names, unknown tags and unreachable registries fail with the code and a clear message", async () => {
  const badName = await runHangar(["image", "pull", "Hangar/Bash", "--data-dir", dataDir]);
  assert.equal(badName.code, 2);
  assert.equal(
    badName.stderr,
    "hangar image: error IMAGE_INVALID_REFERENCE: REFERENCE: invalid image reference 'Hangar/Bash': " +
      "the repository name must be lowercase\n",
  );

  const unknown = await runHangar([
    "image",
    "pull",
    `${registry.host}/hangar-test/nothing:1`,
    "--data-dir",
    dataDir,
  ]);
  assert.equal(unknown.code, 1);
  assert.match(
    unknown.stderr,
    /error IMAGE_NOT_FOUND: image '.*\/hangar-test\/nothing:1' not found: .* manifest unknown/,
  );

  const port = await freePort();
  const unreachable = await runHangar(["image", "pull", `127.0.0.1:${port}/x:1`, "--data-dir", dataDir]);
  assert.equal(unreachable.code, 1);
  assert.match(
    unreachable.stderr,
    new RegExp(`error REGISTRY_UNREACHABLE: cannot reach registry 127.0.0.1:${port} .*connection refused`),
  );

  const usage = await runHangar(["image", "pull", reference, "--username", "u", "--data-dir", dataDir]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /--username and --password-stdin go together/);
});
