// The image store against a real registry (Debian docker-registry on loopback) and real skopeo and umoci.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chown, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import {
  ContainerError,
  ImageStore,
  parseImageConfig,
  parseImageReference,
  type ImageStoreEvent,
} from "../../src/runner/index.js";
import {
  freePort,
  startOciRegistry,
  type OciRegistry,
  type RegistryRequest,
} from "../support/oci-registry.js";
import { buildTestImages, testImages } from "../support/test-images.js";
import { containerIdMap } from "../../src/runner/containers/runtime/id-mapping.js";

const run = promisify(execFile);
const dayMs = 24 * 60 * 60 * 1000;

async function tempDir(name: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `hangar-${name}-`));
}

/** Layer downloads: blob GETs bigger than any manifest or config blob. */
function layerDownloads(requests: RegistryRequest[]): RegistryRequest[] {
  return requests.filter(
    (r) => r.method === "GET" && r.status === 200 && r.path.includes("/blobs/sha256:") && r.bytes > 64 * 1024,
  );
}

function recordEvents(): { events: ImageStoreEvent[]; onEvent: (event: ImageStoreEvent) => void } {
  const events: ImageStoreEvent[] = [];
  return { events, onEvent: (event) => events.push(event) };
}

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ContainerError, `expected a ContainerError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}

describe("image references are normalised like Docker's", () => {
  const cases: Array<[string, string]> = [
    ["postgres", "docker.io/library/postgres:latest"],
    ["docker://postgres:15", "docker.io/library/postgres:15"],
    ["someone/tool", "docker.io/someone/tool:latest"],
    ["index.docker.io/library/redis:7", "docker.io/library/redis:7"],
    ["ghcr.io/o/r:tag", "ghcr.io/o/r:tag"],
    ["localhost/x", "localhost/x:latest"],
    [`127.0.0.1:5000/x@sha256:${"a".repeat(64)}`, `127.0.0.1:5000/x@sha256:${"a".repeat(64)}`],
    [`host:5000/a/b:1@sha256:${"b".repeat(64)}`, `host:5000/a/b:1@sha256:${"b".repeat(64)}`],
  ];
  for (const [input, canonical] of cases) {
    test(`${input} -> ${canonical}`, () => assert.equal(parseImageReference(input).canonical, canonical));
  }

  const invalid: Array<[string, RegExp]> = [
    ["", /empty/],
    ["Postgres", /must be lowercase/],
    ["postgres:-bad", /the tag '-bad'/],
    ["postgres@sha256:abc", /digest 'sha256:abc'/],
    ["a//b", /'' is not a valid name component/],
    ["post gres", /white space/],
  ];
  for (const [input, message] of invalid) {
    test(`refuses '${input}', naming the field`, () => {
      assert.throws(
        () => parseImageReference(input, "jobs.test.container.image"),
        (error: unknown) =>
          error instanceof ContainerError &&
          error.code === "IMAGE_INVALID_REFERENCE" &&
          error.message.startsWith(`jobs.test.container.image: invalid image reference '${input}'`) &&
          message.test(error.message),
      );
    });
  }
});

test("an image config gives env, entrypoint, cmd, ports and Docker's healthcheck in milliseconds", () => {
  const config = parseImageConfig(
    JSON.stringify({
      config: {
        Env: ["A=1"],
        Entrypoint: ["docker-entrypoint.sh"],
        Cmd: ["postgres"],
        User: "postgres",
        ExposedPorts: { "5432/tcp": {} },
        Healthcheck: { Test: ["CMD-SHELL", "pg_isready"], Interval: 5e9, Timeout: 2e9, Retries: 3 },
      },
    }),
    "sha256:test",
  );
  assert.deepEqual(config, {
    env: ["A=1"],
    entrypoint: ["docker-entrypoint.sh"],
    cmd: ["postgres"],
    workingDir: "/",
    user: "postgres",
    exposedPorts: ["5432/tcp"],
    healthcheck: { test: ["CMD-SHELL", "pg_isready"], intervalMs: 5000, timeoutMs: 2000, retries: 3 },
  });
  assert.equal(
    parseImageConfig(JSON.stringify({ config: { Healthcheck: { Test: ["NONE"] } } }), "x").healthcheck,
    undefined,
  );
});

describe("image store with a loopback registry", () => {
  let registry: OciRegistry;
  let images: { "debian-bash": string; big: string };
  const dirs: string[] = [];
  const newStoreDir = async (): Promise<string> => {
    const dir = await tempDir("image-store");
    dirs.push(dir);
    return dir;
  };

  before(async () => {
    registry = await startOciRegistry();
    images = await testImages(registry, ["debian-bash", "big"]);
  });
  after(async () => {
    await registry?.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  test("a cold pull downloads and unpacks; a warm one asks nothing of the registry, and pull=always no layer", async () => {
    const { events, onEvent } = recordEvents();
    const store = new ImageStore({ dir: await newStoreDir(), onEvent });
    const before = registry.requests().length;
    const image = await store.ensure(images["debian-bash"]);
    assert.equal(image.reference, images["debian-bash"]);
    assert.match(image.digest, /^sha256:[a-f0-9]{64}$/);
    assert.match(await readFile(path.join(image.rootfs, "etc/passwd"), "utf8"), /^root:x:0:0:/);
    assert.ok(existsSync(path.join(image.rootfs, "bin/bash")));
    assert.ok(image.config.env.some((entry) => entry.startsWith("PATH=")));
    assert.deepEqual(image.config.cmd, ["/bin/bash"]);
    assert.equal(layerDownloads(registry.requests().slice(before)).length, 1);
    assert.deepEqual(
      events.map((event) => event.type),
      ["unpacked", "pulled"],
    );

    const afterCold = registry.requests().length;
    const warm = await store.ensure(images["debian-bash"]);
    assert.deepEqual(warm, image);
    assert.equal(registry.requests().length, afterCold, "a stored reference is not looked up again");

    const again = await store.ensure(images["debian-bash"], { pull: "always" });
    assert.equal(again.digest, image.digest);
    const asked = registry.requests().slice(afterCold);
    assert.ok(
      asked.some((r) => r.path.includes("/manifests/1")),
      "pull=always asks for the manifest",
    );
    assert.deepEqual(layerDownloads(asked), [], "but downloads no layer it has");
    assert.equal(events.filter((event) => event.type === "unpacked").length, 1, "and unpacks nothing again");
  });

  test("an image sharing a layer with a stored one downloads only its own layer (the 100 MB pull figure)", async (t) => {
    const store = new ImageStore({ dir: await newStoreDir() });
    let start = registry.requests().length;
    let clock = Date.now();
    await store.ensure(images.big);
    const coldMs = Date.now() - clock;
    const coldLayers = layerDownloads(registry.requests().slice(start));
    assert.equal(coldLayers.length, 2, "base and payload layers");
    const coldBytes = coldLayers.reduce((sum, r) => sum + r.bytes, 0);

    start = registry.requests().length;
    clock = Date.now();
    await store.ensure(images.big, { pull: "always" });
    const warmMs = Date.now() - clock;
    assert.deepEqual(layerDownloads(registry.requests().slice(start)), []);
    t.diagnostic(
      `big image ${(coldBytes / 1e6).toFixed(1)} MB: cold pull+unpack ${coldMs} ms, warm re-pull ${warmMs} ms`,
    );

    const shared = new ImageStore({ dir: await newStoreDir() });
    await shared.ensure(images["debian-bash"]);
    start = registry.requests().length;
    await shared.ensure(images.big);
    const newLayers = layerDownloads(registry.requests().slice(start));
    assert.equal(newLayers.length, 1, "only the payload layer");
    const baseLayer = coldLayers.find(
      (r) => !newLayers.some((n) => n.path.endsWith(r.path.split("/").pop()!)),
    );
    assert.ok(baseLayer, "the base layer was the one skipped");
    const blobs = await readdir(path.join(shared.dir, "blobs/sha256"));
    assert.equal(
      blobs.filter((hex) => baseLayer.path.endsWith(hex)).length,
      1,
      "stored once for both images",
    );
  });

  test("concurrent ensures of one image, from two stores on one directory, pull and unpack it once", async () => {
    const dir = await newStoreDir();
    const { events, onEvent } = recordEvents();
    const start = registry.requests().length;
    const [first, second] = await Promise.all([
      new ImageStore({ dir, onEvent }).ensure(images["debian-bash"]),
      new ImageStore({ dir, onEvent }).ensure(images["debian-bash"]),
    ]);
    assert.deepEqual(first, second);
    assert.equal(events.filter((event) => event.type === "unpacked").length, 1);
    assert.equal(events.filter((event) => event.type === "pulled").length, 1);
    assert.equal(layerDownloads(registry.requests().slice(start)).length, 1);
    assert.deepEqual(await readdir(path.join(dir, "tmp")), [], "no staging left behind");
  });

  test("imports an OCI layout and a docker save tarball, sharing blobs with pulled images", async () => {
    const { events, onEvent } = recordEvents();
    const store = new ImageStore({ dir: await newStoreDir(), onEvent });
    const pulled = await store.ensure(images["debian-bash"]);
    const layout = await buildTestImages(["debian-bash"]);

    const fromLayout = await store.import(`${layout}:debian-bash`, {
      reference: "hangar-test/from-layout:1",
    });
    assert.equal(fromLayout.reference, "docker.io/hangar-test/from-layout:1");
    assert.equal(fromLayout.digest, pulled.digest, "the same manifest as the registry's copy");
    assert.equal(
      events.filter((event) => event.type === "unpacked").length,
      1,
      "so it is not unpacked again",
    );

    const work = await tempDir("docker-save");
    dirs.push(work);
    const tarball = path.join(work, "saved.tar");
    await run("skopeo", [
      "copy",
      "--quiet",
      `oci:${layout}:debian-bash`,
      `docker-archive:${tarball}:hangar-test/saved:2`,
    ]);
    const fromTarball = await store.import(tarball, { reference: "hangar-test/saved:2" });
    assert.ok(existsSync(path.join(fromTarball.rootfs, "bin/bash")));
    assert.deepEqual(fromTarball.config.cmd, ["/bin/bash"]);
    const listed = await store.list();
    assert.deepEqual(listed.flatMap((image) => image.references).sort(), [
      images["debian-bash"],
      "docker.io/hangar-test/from-layout:1",
      "docker.io/hangar-test/saved:2",
    ]);

    await rejectsWith(store.import(layout), "IMAGE_IMPORT_FAILED", /more than one image.*DIR:TAG/);
    await rejectsWith(store.import(path.join(work, "missing.tar")), "IMAGE_IMPORT_FAILED", /no such file/);
  });

  test("rm forgets a reference, removes the image with its last one, and refuses an image in use", async () => {
    const store = new ImageStore({ dir: await newStoreDir() });
    const image = await store.ensure(images["debian-bash"]);
    const layout = await buildTestImages(["debian-bash"]);
    await store.import(`${layout}:debian-bash`, { reference: "hangar-test/alias:1" });

    assert.deepEqual(await store.remove("hangar-test/alias:1"), {
      references: ["docker.io/hangar-test/alias:1"],
    });
    assert.ok(existsSync(image.rootfs), "still named by the registry reference");

    const { lease } = await store.use(images["debian-bash"]);
    assert.equal((await store.list())[0]!.inUse, true);
    await rejectsWith(store.remove(images["debian-bash"]), "IMAGE_IN_USE", /used by a running job/);
    await lease.release();

    assert.deepEqual(await store.remove(image.digest), {
      references: [images["debian-bash"]],
      removedDigest: image.digest,
    });
    assert.equal(existsSync(image.rootfs), false);
    assert.deepEqual(await store.list(), []);
    await rejectsWith(store.remove(images["debian-bash"]), "IMAGE_NOT_IN_STORE", /no image named/);
  });

  test("a lease left by a dead process does not keep an image in use, even when its pid runs something else now", async () => {
    const dir = await newStoreDir();
    const store = new ImageStore({ dir });
    const image = await store.ensure(images["debian-bash"]);
    const leases = path.join(dir, "digests", image.digest.replace("sha256:", ""), "leases");
    await mkdir(leases, { recursive: true });
    // This test's own pid with a start time it never had: the lease of a dead process whose pid was reused.
    await writeFile(path.join(leases, `${process.pid}-1-0123456789ab`), "");
    assert.equal((await store.list())[0]!.inUse, false);
    assert.deepEqual(await readdir(leases), [], "the dead process's lease is removed on the way");
    // A lease named as before start times were recorded is judged by its pid alone: this process runs.
    await writeFile(path.join(leases, `${process.pid}-0123456789ab`), "");
    assert.equal((await store.list())[0]!.inUse, true);
  });

  test("gc removes images unused too long, then the least recently used over the size limit, never one in use", async () => {
    let now = Date.now();
    const store = new ImageStore({ dir: await newStoreDir(), now: () => new Date(now) });
    const { image: bash, lease } = await store.use(images["debian-bash"]);
    now += 20 * dayMs;
    const big = await store.ensure(images.big);

    now += 25 * dayMs;
    const leased = await store.gc({ maxAgeDays: 30 });
    assert.deepEqual(leased.images, [], "debian-bash is 45 days unused but leased; big is 25 days old");
    assert.deepEqual(leased.keptInUse, [bash.digest]);

    await lease.release();
    const aged = await store.gc({ maxAgeDays: 30 });
    assert.deepEqual(
      aged.images.map((image) => [image.digest, image.reason]),
      [[bash.digest, "unused"]],
    );
    assert.equal(existsSync(bash.rootfs), false);
    assert.ok(existsSync(big.rootfs));
    assert.equal(
      aged.blobs.count,
      2,
      "debian-bash's own manifest and config; the base layer big shares stays",
    );

    const sized = await store.gc({ maxAgeDays: 30, maxBytes: 1 });
    assert.deepEqual(
      sized.images.map((image) => [image.digest, image.reason]),
      [[big.digest, "over-size-limit"]],
    );
    assert.ok(sized.blobs.count >= 3, "its blobs went with it");
    assert.deepEqual(await readdir(path.join(store.dir, "blobs/sha256")), []);
    assert.deepEqual(await readdir(path.join(store.dir, "digests")), []);
  });

  test("images are unpacked shifted into the containers' id range; one unpacked before that is unpacked again from its blobs", async () => {
    const dir = await newStoreDir();
    const { events, onEvent } = recordEvents();
    const own = await new ImageStore({ dir, idMap: null, onEvent }).ensure(images["debian-bash"]);
    assert.equal(own.idMap, undefined);
    assert.equal((await stat(path.join(own.rootfs, "bin/bash"))).uid, 0);
    // What a store written before user namespaces holds: an image.json without idMap.
    const recordFile = path.join(dir, "digests", own.digest.replace("sha256:", ""), "image.json");
    const { idMap, ...oldRecord } = JSON.parse(await readFile(recordFile, "utf8")) as Record<string, unknown>;
    assert.equal(idMap, null);
    await writeFile(recordFile, JSON.stringify(oldRecord));

    const start = registry.requests().length;
    const shifted = await new ImageStore({ dir, idMap: containerIdMap, onEvent }).ensure(
      images["debian-bash"],
    );
    assert.deepEqual(registry.requests().slice(start), [], "the stored blobs suffice");
    assert.deepEqual(shifted.idMap, containerIdMap);
    assert.equal(shifted.rootfs, own.rootfs);
    const bash = await stat(path.join(shifted.rootfs, "bin/bash"));
    assert.deepEqual([bash.uid, bash.gid], [containerIdMap.hostId, containerIdMap.hostId]);
    assert.deepEqual(JSON.parse(await readFile(recordFile, "utf8")).idMap, containerIdMap);
    assert.deepEqual(
      events.map((event) => event.type),
      ["unpacked", "pulled", "unpacked"],
    );

    // A job's overlay may sit on a leased image's rootfs: it is not swapped under it.
    const { image: used, lease } = await new ImageStore({ dir }).use(images["debian-bash"]);
    assert.deepEqual(used.idMap, containerIdMap, "by default, the mapping containers get on this host");
    await rejectsWith(
      new ImageStore({ dir, idMap: null }).ensure(images["debian-bash"]),
      "IMAGE_IN_USE",
      /unpacked with other file owners than containers here need, and a running job uses it/,
    );
    await lease.release();
    assert.deepEqual(await readdir(path.join(dir, "tmp")), [], "no staging left behind");
  });

  test("errors: unknown tag, unreachable registry", async () => {
    const store = new ImageStore({ dir: await newStoreDir() });
    await rejectsWith(
      store.ensure(`${registry.host}/hangar-test/debian-bash:nope`),
      "IMAGE_NOT_FOUND",
      new RegExp(
        `'${registry.host}/hangar-test/debian-bash:nope' not found: registry ${registry.host} answered manifest unknown`,
      ),
    );
    const port = await freePort();
    await rejectsWith(
      store.ensure(`127.0.0.1:${port}/hangar-test/debian-bash:1`),
      "REGISTRY_UNREACHABLE",
      new RegExp(`cannot reach registry 127.0.0.1:${port} .*connection refused`),
    );
    await rejectsWith(
      store.ensure("Hangar-Test/Bash", { field: "jobs.test.container.image" }),
      "IMAGE_INVALID_REFERENCE",
      /^jobs\.test\.container\.image: invalid image reference 'Hangar-Test\/Bash': the repository name must be lowercase$/,
    );
  });
});

test("a registry with htpasswd auth: no credentials and wrong ones are refused clearly, right ones pull", async () => {
  const auth = { username: "hangar", password: "correct horse" };
  const registry = await startOciRegistry({ auth });
  const dir = await tempDir("image-store-auth");
  try {
    const layout = await buildTestImages(["debian-bash"]);
    const reference = `${registry.host}/private/bash:1`;
    await registry.push(layout, "debian-bash", reference);

    const store = new ImageStore({ dir: path.join(dir, "store") });
    await rejectsWith(
      store.ensure(reference),
      "REGISTRY_UNAUTHORIZED",
      /requires credentials .* none were given/,
    );
    await rejectsWith(
      store.ensure(reference, { credentials: { username: "hangar", password: "wrong" } }),
      "REGISTRY_UNAUTHORIZED",
      new RegExp(`registry ${registry.host} refused the credentials given for '${reference}'`),
    );
    const image = await store.ensure(reference, { credentials: auth });
    assert.ok(existsSync(path.join(image.rootfs, "bin/bash")));
    assert.deepEqual(
      (await readdir(path.join(dir, "store/tmp"))).filter((name) => name.startsWith("auth")),
      [],
      "the auth file is deleted after the pull",
    );
    // Once stored, the private image is still the registry's to grant: no credentials, no image.
    await rejectsWith(
      store.ensure(reference),
      "REGISTRY_UNAUTHORIZED",
      /requires credentials .* none were given/,
    );
    assert.equal((await store.ensure(reference, { credentials: auth })).digest, image.digest);
  } finally {
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test("an image with files owned by ids beyond the user namespace's 65536 fails to unpack, naming the image", async () => {
  const dir = await tempDir("image-store-big-ids");
  try {
    const files = path.join(dir, "files");
    await mkdir(files);
    await writeFile(path.join(files, "f"), "owned by 70000\n");
    await chown(path.join(files, "f"), 70_000, 70_000);
    const layout = path.join(dir, "layout");
    await run("umoci", ["init", "--layout", layout]);
    await run("umoci", ["new", "--image", `${layout}:big-ids`]);
    await run("umoci", ["insert", "--image", `${layout}:big-ids`, files, "/opt"]);
    const store = new ImageStore({ dir: path.join(dir, "store"), idMap: containerIdMap });
    await rejectsWith(
      store.import(`${layout}:big-ids`),
      "IMAGE_UNPACK_FAILED",
      new RegExp(
        `image oci:${layout}:big-ids \\(sha256:[0-9a-f]{64}\\) has files owned by id 70000: .* ids 0-65535`,
      ),
    );
    const ownIds = await new ImageStore({ dir: path.join(dir, "store"), idMap: null }).import(
      `${layout}:big-ids`,
    );
    assert.equal(
      (await stat(path.join(ownIds.rootfs, "opt/f"))).uid,
      70_000,
      "without a user namespace it unpacks",
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
