// Builds a Docker action's Dockerfile with buildah (no daemon) into the image store, once per content of the action.
import { createHash } from "node:crypto";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { findExecutable } from "../find-executable.js";
import { ContainerError } from "./container-error.js";
import {
  defaultInsecureRegistries,
  parseImageReference,
  type ImageLease,
  type ImageStore,
  type UnpackedImage,
} from "./images/index.js";

export interface ActionImageBuild {
  store: ImageStore;
  /** The build context: the action's directory. */
  contextDir: string;
  /** The Dockerfile, relative to the context (`runs.image`). */
  dockerfile: string;
  /** Where to look for buildah. */
  pathVariable: string | undefined;
  onOutput: (text: string) => void;
  signal: AbortSignal;
}

/** The image built from the action's files; an unchanged action reuses the image built before. */
export async function buildActionImage(
  build: ActionImageBuild,
): Promise<{ image: UnpackedImage; lease: ImageLease }> {
  const buildah = findExecutable("buildah", build.pathVariable);
  if (!buildah) {
    throw new ContainerError(
      "IMAGE_TOOL_MISSING",
      `building '${build.dockerfile}' of the Docker action in ${build.contextDir} needs buildah, which is not on ` +
        "PATH: install the Debian package 'buildah', or use an action whose runs.image is docker://IMAGE",
    );
  }
  const reference = `localhost/hangar-action:${await hashDirectory(build.contextDir)}`;
  const canonical = parseImageReference(reference).canonical;
  const stored = (await build.store.list()).some((image) => image.references.includes(canonical));
  if (!stored) {
    const layout = await mkdtemp(path.join(os.tmpdir(), "hangar-action-image-"));
    try {
      const dockerfile = path.resolve(build.contextDir, build.dockerfile);
      // As the image store does: loopback registries are reached over plain HTTP, anything else only with TLS.
      const tls = (await isFromLoopbackOnly(dockerfile)) ? ["--tls-verify=false"] : [];
      await runBuildah(
        buildah,
        ["bud", ...tls, "--format", "oci", "-f", dockerfile, "-t", reference, build.contextDir],
        build,
      );
      await runBuildah(buildah, ["push", reference, `oci:${layout}:action`], build);
      await build.store.import(`${layout}:action`, { reference, signal: build.signal });
      // The store has it now; buildah's own copy would only grow /var/lib/containers, which `hangar image gc` never sees.
      await runBuildah(buildah, ["rmi", reference], build);
    } finally {
      await rm(layout, { recursive: true, force: true });
    }
  }
  return build.store.use(reference, { signal: build.signal });
}

function runBuildah(buildah: string, args: string[], build: ActionImageBuild): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(buildah, args, { stdio: ["ignore", "pipe", "pipe"], signal: build.signal });
    let lastLine = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      for (const line of text.split("\n")) {
        if (line === "") continue;
        build.onOutput(line);
        lastLine = line;
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("error", (error) =>
      reject(new ContainerError("IMAGE_IMPORT_FAILED", `buildah ${args[0]} failed: ${error.message}`)),
    );
    child.once("close", (code) => {
      if (code === 0) resolve();
      else
        reject(
          new ContainerError("IMAGE_IMPORT_FAILED", `buildah ${args[0]} exited with ${code}: ${lastLine}`),
        );
    });
  });
}

/** Whether every `FROM` of the Dockerfile names an image in a loopback registry (`FROM 127.0.0.1:5000/x`). */
async function isFromLoopbackOnly(dockerfile: string): Promise<boolean> {
  const text = await readFile(dockerfile, "utf8").catch(() => "");
  const images = [...text.matchAll(/^\s*FROM\s+(?:--\S+\s+)*(\S+)/gim)].map((match) => match[1]!);
  const hosts = new Set(defaultInsecureRegistries);
  return images.length > 0 && images.every((image) => hosts.has(image.split("/")[0]!.replace(/:\d+$/, "")));
}

/** A digest of every file's relative path and content, so any change to the action builds a new image. */
async function hashDirectory(dir: string): Promise<string> {
  const hash = createHash("sha256");
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name))
    .sort();
  for (const file of files) {
    hash
      .update(path.relative(dir, file))
      .update("\0")
      .update(await readFile(file))
      .update("\0");
  }
  return hash.digest("hex").slice(0, 32);
}
