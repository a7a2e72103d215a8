// Builds the microVM guest image once per machine and set of build inputs, shared by test files and benches.
import { createHash } from "node:crypto";
import { mkdir, open, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuestImage, readGuestImage, type GuestImage } from "../../src/runner/index.js";

const sourceDir = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../src/runner/executors/microvm",
);
/** The files whose change makes a different image. */
const buildInputs = [
  "guest-agent.c",
  "guest-image.ts",
  "debian-packages.ts",
  "newc-archive.ts",
  "agent-protocol.ts",
];
/** Another process holding the lock longer than this is taken to be dead. */
const staleLockMs = 15 * 60_000;

/** The cache dir of the image built from today's sources with `packages` as extras. */
export async function guestImageDir(packages: string[] = []): Promise<string> {
  const hash = createHash("sha256");
  for (const file of buildInputs) hash.update(await readFile(path.join(sourceDir, file)));
  hash.update(JSON.stringify(packages));
  return path.join(tmpdir(), `hangar-test-guest-${hash.digest("hex").slice(0, 16)}`);
}

/** Builds (or reuses) the test guest image; two test processes never build at once. */
export async function testGuestImage(packages: string[] = []): Promise<GuestImage> {
  const dir = await guestImageDir(packages);
  await mkdir(dir, { recursive: true });
  const existing = await readGuestImage(dir).catch(() => undefined);
  if (existing) return existing;
  const lock = path.join(dir, "build.lock");
  for (;;) {
    try {
      const handle = await open(lock, "wx");
      await handle.close();
      break;
    } catch {
      const age =
        Date.now() -
        (await stat(lock)
          .then((s) => s.mtimeMs)
          .catch(() => Date.now()));
      if (age > staleLockMs) await rm(lock, { force: true });
      else await new Promise((resolve) => setTimeout(resolve, 500));
      const built = await readGuestImage(dir).catch(() => undefined);
      if (built) return built;
    }
  }
  try {
    return (
      (await readGuestImage(dir).catch(() => undefined)) ?? (await buildGuestImage({ outDir: dir, packages }))
    );
  } finally {
    await rm(lock, { force: true });
  }
}
