// Test fixture for the confinement of built-in actions: a workflow that tries every built-in and every path trick on
// a canary planted in hangar's data dir (the place of the server's secret key), and the checks that it never leaked.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { makeGitRepo } from "../support/git-repo.js";
import { runHangar } from "../support/hangar-cli.js";

export interface Canaries {
  /** hangar's data dir for the run, where the canary sits beside the content store. */
  dataDir: string;
  /** `secret-key`, as hangar serve names the key that decrypts every stored secret. */
  file: string;
  text: string;
  /** A directory outside the workspace holding a composite action that would print `escapedMark`. */
  outsideActionDir: string;
  cleanup(): Promise<void>;
}

/** What a composite action outside the workspace prints if it was ever loaded and run. */
export const escapedMark = "ESCAPED-ACTION-RAN";

/** A new canary in a fresh data dir, or `existingFile` (a server's real key file) as the canary. */
export async function plantCanaries(existingFile?: string): Promise<Canaries> {
  const root = await mkdtemp(path.join(os.tmpdir(), "hangar-canary-"));
  const data = existingFile ? path.dirname(existingFile) : path.join(root, "data");
  const file = existingFile ?? path.join(data, "secret-key");
  let text: string;
  if (existingFile) {
    text = (await readFile(existingFile, "utf8")).trim();
  } else {
    await mkdir(data, { recursive: true });
    text = `canary-${randomBytes(12).toString("hex")}`;
    await writeFile(file, `${text}\n`, { mode: 0o600 });
  }
  const outsideActionDir = path.join(root, "outside-action");
  await mkdir(outsideActionDir);
  await writeFile(
    path.join(outsideActionDir, "action.yml"),
    `name: outside\nruns:\n  using: composite\n  steps:\n    - run: echo ${escapedMark}\n      shell: bash\n`,
  );
  return {
    dataDir: data,
    file,
    text,
    outsideActionDir,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/**
 * One job that tries each built-in on the canary: symlinks, absolute paths, `..`, /proc/self/root and /proc/1/root,
 * a hard link, a link swapped back and forth while the built-in runs, links in place of download and restore targets,
 * hashFiles, a version file, a checkout path, `uses: ./..` and env files turned into links. Every attempt may fail
 * (continue-on-error); a legitimate artifact and cache show the built-ins work at all.
 */
export function attackWorkflow(canaries: Canaries, jobHeader = ""): string {
  const climb = "../".repeat(16);
  const uses = (action: string, name: string, inputs: Record<string, string>) =>
    [
      `      - name: ${name}`,
      `        continue-on-error: true`,
      `        uses: ${action}`,
      `        with:`,
      ...Object.entries(inputs).map(([key, value]) => `          ${key}: "${value}"`),
    ].join("\n");
  const upload = (name: string, pathInput: string) =>
    uses("actions/upload-artifact@v4", `upload ${name}`, {
      name,
      path: pathInput,
      "if-no-files-found": "ignore",
    });
  return `on: push
env:
  CANARY_FILE: ${canaries.file}
  DATA_DIR: ${canaries.dataDir}
jobs:
  attack:
    runs-on: ubuntu-latest
    outputs:
      plain: \${{ steps.hash.outputs.plain }}
      followed: \${{ steps.hash.outputs.followed }}
${jobHeader}    steps:
      - name: plant links
        run: |
          ln -s "$CANARY_FILE" leak-link
          ln -s "$DATA_DIR" data-link
          ln "$CANARY_FILE" hard-link 2>/dev/null || echo "no hard link: the canary is not in this job's view"
          echo legit > legit.txt
          mkdir swap && echo harmless > swap/real
${upload("via-symlink", "leak-link")}
${upload("via-absolute", "${{ env.CANARY_FILE }}")}
${upload("via-dir-link", "data-link/")}
${upload("via-proc-self-root", "/proc/self/root${{ env.CANARY_FILE }}")}
${upload("via-proc-1-root", "/proc/1/root${{ env.CANARY_FILE }}")}
${upload("via-dotdot", `${climb}\${{ env.CANARY_FILE }}`)}
${upload("via-hard-link", "hard-link")}
      - name: swap a link between a file and the canary, in the background
        run: |
          (while :; do ln -sfn "$CANARY_FILE" swap/flip; ln -sfn real swap/flip; done) > /dev/null 2>&1 &
          echo $! > swap.pid
${upload("via-swapped-link", "swap/")}
${uses("actions/cache/save@v4", "cache a swapped link", { key: "via-swapped-link", path: "swap/" })}
      - name: stop swapping
        run: kill "$(cat swap.pid)" 2>/dev/null || true; rm -f swap.pid
${upload("legit", "legit.txt")}
${uses("actions/download-artifact@v4", "download to an absolute path in the data dir", { name: "legit", path: "${{ env.DATA_DIR }}/planted" })}
${uses("actions/download-artifact@v4", "download through a link", { name: "legit", path: "data-link/planted-through-link" })}
${uses("actions/cache/save@v4", "cache an absolute path", { key: "via-absolute", path: "${{ env.CANARY_FILE }}" })}
${uses("actions/cache/save@v4", "cache a link", { key: "via-link", path: "leak-link" })}
${uses("actions/cache/save@v4", "cache a dotdot path", { key: "via-dotdot", path: `${climb}\${{ env.CANARY_FILE }}` })}
${uses("actions/cache/save@v4", "cache the legit file", { key: "legit", path: "legit.txt" })}
      - name: turn the restore target into a link to the data dir
        run: rm legit.txt && ln -s "$DATA_DIR/planted-by-cache" legit.txt
${uses("actions/cache/restore@v4", "restore onto the link", { key: "legit", path: "legit.txt" })}
      - id: hash
        name: hash through links
        run: |
          echo "plain=\${{ hashFiles('leak-link', 'hard-link', 'data-link/**') }}" >> "$GITHUB_OUTPUT"
          echo "followed=\${{ hashFiles('--follow-symbolic-links', 'leak-link', 'data-link/**') }}" >> "$GITHUB_OUTPUT"
${uses("actions/setup-node@v4", "a version file that is a link", { "node-version-file": "leak-link" })}
${uses("actions/checkout@v4", "check out into a link", { path: "data-link" })}
      - name: an action outside the workspace
        continue-on-error: true
        uses: ./${climb}${canaries.outsideActionDir.slice(1)}
      - name: a step summary that is a link
        continue-on-error: true
        run: ln -sf "$CANARY_FILE" "$GITHUB_STEP_SUMMARY"
      - name: an output file that is a link
        continue-on-error: true
        run: ln -sf "$CANARY_FILE" "$GITHUB_OUTPUT"
`;
}

/** What a finished attack left to look at: everything it logged and the attack job's outputs. */
export interface AttackEvidence {
  output: string;
  jobOutputs: Record<string, string | undefined>;
}

/** Runs the attack with `hangar run --json` on a fresh repository; the run itself must complete (exit 0 or 1). */
export async function runAttack(canaries: Canaries, args: string[], jobHeader = ""): Promise<AttackEvidence> {
  const repo = await makeGitRepo({ ".github/workflows/attack.yml": attackWorkflow(canaries, jobHeader) });
  try {
    const result = await runHangar(["run", repo, "--json", "--data-dir", canaries.dataDir, ...args], {
      timeoutMs: 900_000,
    });
    assert.ok(
      result.code === 0 || result.code === 1,
      `hangar run failed to run: ${result.code}\n${result.stderr}`,
    );
    const run = JSON.parse(result.stdout) as {
      jobs: Array<{ key: string; outputs: Record<string, string> }>;
    };
    const job = run.jobs.find((each) => each.key === "attack")!;
    return { output: `${result.stdout}\n${result.stderr}`, jobOutputs: job.outputs };
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
}

/** Every file below `dir` but the canary itself. */
async function filesBelow(dir: string, except: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => file !== except);
}

/**
 * The canary never left its file: no blob, manifest or other file of the data dir holds it, no log line or output
 * shows it, nothing was written into the data dir through a download or restore, the outside action never ran and
 * hashFiles never hashed it. The legitimate artifact and cache prove the built-ins ran.
 */
export async function assertCanaryNeverLeaked(canaries: Canaries, attack: AttackEvidence): Promise<void> {
  assert.ok(!attack.output.includes(canaries.text), "the canary appears in the run's output");
  assert.ok(!attack.output.includes(escapedMark), "an action outside the workspace ran");
  for (const file of await filesBelow(canaries.dataDir, canaries.file)) {
    const contents = await readFile(file).catch(() => Buffer.alloc(0));
    assert.ok(!contents.includes(canaries.text), `the canary leaked into ${file}`);
  }
  for (const planted of ["planted", "planted-through-link", "planted-by-cache"]) {
    assert.equal(
      existsSync(path.join(canaries.dataDir, planted)),
      false,
      `${planted} was written into the data dir`,
    );
  }
  const canaryHash = createHash("sha256")
    .update(
      createHash("sha256")
        .update(await readFile(canaries.file))
        .digest(),
    )
    .digest("hex");
  assert.notEqual(attack.jobOutputs["plain"], canaryHash);
  assert.notEqual(attack.jobOutputs["followed"], canaryHash);
  const artifactManifests = await readdir(path.join(canaries.dataDir, "artifacts"), { recursive: true });
  assert.ok(
    artifactManifests.some((name) => name.endsWith("legit.json")),
    "the legit artifact was uploaded",
  );
  assert.match(attack.output, /Cache saved with key: legit/);
}
