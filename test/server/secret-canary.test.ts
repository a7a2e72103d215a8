// The secret canary: a unique value set as a repository secret (API) and an environment secret (CLI), echoed by a
// workflow plainly, base64-encoded at every offset, URL-encoded, as a multi-line secret, into the step summary, an
// output, an error message, an annotation, an artifact's name, a file name (the environment secret: upload-artifact
// refuses the canary's ':' and '?' in paths) and content. Afterwards no file in the
// server's data dir (SQLite database and WAL included) and no pg_dump of the PostgreSQL database contains the
// canary or any of its encodings. Excluded: blob contents (the artifact's file content is the user's data and
// holds the canary on purpose). Also: who gets secrets (fork pull request: none; same-repository pull request and
// pull_request_target: yes), `vars` from variables, and the queued job request holding no secret.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { describe, test } from "node:test";
import { findBinDir } from "../support/postgres.js";
import { deliverWebhook } from "../support/deliveries.js";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { getRun, insertRepository } from "../../src/store/index.js";
import { authHeaders, createApiToken } from "../support/api-token.js";
import { makeGitRepo } from "../support/git-repo.js";
import { runHangar } from "../support/hangar-cli.js";
import { makePullRequest } from "../support/pull-request.js";
import { createTestDatabase, DIALECTS } from "../store/test-stores.js";

const fullName = "octo/canary";
const webhookSecret = "hook";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const leakWorkflow = `on: push
env:
  FROM_WORKFLOW_ENV: wf-\${{ secrets.CANARY }}
jobs:
  leak:
    runs-on: self-hosted
    environment: production
    outputs:
      leaked: \${{ steps.out.outputs.value }}
      region: \${{ vars.REGION }}
    env:
      CANARY: \${{ secrets.CANARY }}
      ENV_CANARY: \${{ secrets.ENV_CANARY }}
      MULTI: \${{ secrets.MULTI }}
    steps:
      - run: |
          test "$(printf %s "$CANARY" | sha256sum | cut -c1-64)" = "$EXPECTED"
          test "$FROM_WORKFLOW_ENV" = "wf-$CANARY"
          test "\${{ vars.REGION }}" = eu-prod
          echo "plain $CANARY and env $ENV_CANARY"
          for prefix in "" x xy; do printf '%s%s' "$prefix" "$CANARY" | base64 -w0; echo; done
          printf '%s' "$CANARY" | base64 -w0 | tr '+/' '-_'; echo
          node -e 'console.log("url", encodeURIComponent(process.env.CANARY))'
          node -e 'console.log(JSON.stringify({ token: process.env.CANARY }))'
          printf '%s\\n' "$MULTI"
          echo "summary $CANARY" >> "$GITHUB_STEP_SUMMARY"
          echo "::warning title=$CANARY::annotated $CANARY"
          mkdir -p out && printf '%s' "$CANARY" > "out/file-$ENV_CANARY.txt"
        env:
          EXPECTED: \${{ vars.CANARY_SHA256 }}
      - id: out
        run: echo "value=$CANARY" >> "$GITHUB_OUTPUT"
      - uses: actions/upload-artifact@v4
        with:
          name: canary-files
          path: out/
      - uses: actions/upload-artifact@v4
        with:
          name: named-\${{ secrets.CANARY }}
          path: out/
      - run: echo "\${{ fromJSON(secrets.CANARY) }}"
        continue-on-error: true
      - run: "true"
        working-directory: wd-\${{ secrets.CANARY }}
        continue-on-error: true
      - run: echo "failing with $CANARY" >&2; exit 3
`;

const prWorkflow = `on: [pull_request, pull_request_target]
jobs:
  probe:
    runs-on: self-hosted
    outputs:
      length: \${{ steps.probe.outputs.length }}
      matches: \${{ steps.probe.outputs.matches }}
    steps:
      - id: probe
        run: |
          echo "length=\${#CANARY}" >> "$GITHUB_OUTPUT"
          test "$(printf %s "$CANARY" | sha256sum | cut -c1-64)" = "\${{ vars.CANARY_SHA256 }}" \\
            && echo "matches=yes" >> "$GITHUB_OUTPUT" || echo "matches=no" >> "$GITHUB_OUTPUT"
        env:
          CANARY: \${{ secrets.CANARY }}
`;

/** Every form of the values that must never be stored. */
function needlesOf(values: string[]): string[] {
  const needles = new Set<string>();
  for (const value of values) {
    needles.add(value);
    needles.add(encodeURIComponent(value));
    needles.add(JSON.stringify(value).slice(1, -1));
    for (const shift of [0, 1, 2]) {
      const bytes = Buffer.concat([Buffer.alloc(shift), Buffer.from(value)]);
      const aligned = bytes.toString("base64").slice([0, 2, 3][shift], Math.floor((bytes.length * 8) / 6));
      needles.add(aligned);
      needles.add(aligned.replace(/\+/g, "-").replace(/\//g, "_"));
    }
  }
  return [...needles];
}

async function* filesUnder(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(full);
    else if (entry.isFile()) yield full;
  }
}

/** Files (relative to `dir`) whose bytes contain any needle; file contents under blobs/ are skipped. */
async function leaksIn(dir: string, needles: string[]): Promise<string[]> {
  const found: string[] = [];
  for await (const file of filesUnder(dir)) {
    const relative = path.relative(dir, file);
    const names = needles.filter((needle) => relative.includes(needle));
    if (names.length > 0) found.push(`${relative} (its path)`);
    if (relative.startsWith(`blobs${path.sep}`)) continue;
    const bytes = await readFile(file);
    const hits = needles.filter((needle) => bytes.includes(Buffer.from(needle)));
    if (hits.length > 0) found.push(`${relative}: ${hits.length} forms, e.g. ${JSON.stringify(hits[0])}`);
  }
  return found;
}

for (const dialect of DIALECTS) {
  describe(`secret canary (${dialect})`, () => {
    test("never stored, in any form, anywhere the server keeps data; forks get no secrets", async (t) => {
      const canary = `cAn4ry:${randomBytes(12).toString("base64url")}+&?=x y`;
      const envCanary = `env-canary-${randomBytes(10).toString("hex")}`;
      const multi = `first-${randomBytes(8).toString("hex")}\nsecond-${randomBytes(8).toString("hex")}`;
      const repo = await makeGitRepo({
        ".github/workflows/leak.yml": leakWorkflow,
        ".github/workflows/pr.yml": prWorkflow,
      });
      const database = await createTestDatabase(dialect);
      const dataDir = database.options.dataDir;
      const server: RunningServer = await startServer({
        dataDir,
        databaseUrl: database.options.url,
        host: "127.0.0.1",
        port: 0,
        embeddedRunnerLabels: ["self-hosted"],
      });
      t.after(async () => {
        await server.close();
        await rm(repo, { recursive: true, force: true });
      });
      await insertRepository(server.store, { name: fullName, gitUrl: repo, webhookSecret });
      const admin = authHeaders(await createApiToken(server.store, { role: "admin" }));
      const put = async (kind: string, name: string, value: string, environment?: string) => {
        const query = environment ? `?environment=${environment}` : "";
        const response = await fetch(`${server.url}/api/repositories/${fullName}/${kind}/${name}${query}`, {
          method: "PUT",
          headers: { ...admin, "content-type": "application/json" },
          body: JSON.stringify({ value }),
        });
        assert.equal(response.status, 200, await response.text());
      };
      await put("secrets", "CANARY", canary);
      await put("secrets", "MULTI", multi);
      await put("variables", "CANARY_SHA256", sha256(canary));
      await put("variables", "REGION", "eu");
      await put("variables", "REGION", "eu-prod", "production");
      const location = [
        "--data-dir",
        dataDir,
        ...(database.options.url ? ["--database-url", database.options.url] : []),
      ];
      const setByCli = await runHangar(
        ["secret", "set", fullName, "env_canary", "--env", "production", "--value", envCanary, ...location],
        { env: { HANGAR_SECRET_KEY: "" } },
      );
      assert.equal(setByCli.code, 0, setByCli.stderr);

      // The API lists names and timestamps only.
      const listed = await (
        await fetch(`${server.url}/api/repositories/${fullName}/secrets`, { headers: admin })
      ).text();
      assert.match(listed, /"CANARY"/);
      assert.ok(!listed.includes(canary));
      const byCli = await runHangar(["secret", "ls", fullName, "--env", "production", ...location]);
      assert.match(byCli.stdout, /ENV_CANARY/);
      assert.ok(!byCli.stdout.includes(envCanary));
      const viewer = authHeaders(await createApiToken(server.store, { role: "viewer" }));
      const refused = await fetch(`${server.url}/api/repositories/${fullName}/secrets`, { headers: viewer });
      assert.equal(refused.status, 403);

      const git = (...args: string[]) =>
        execFileSync("git", ["-C", repo, ...args])
          .toString()
          .trim();
      const deliver = async (event: string, payload: Record<string, unknown>) => {
        const delivered = await deliverWebhook(server.store, `${server.url}/webhooks/github`, {
          event,
          secret: webhookSecret,
          payload,
        });
        assert.equal(delivered.status, 202, JSON.stringify(delivered.body));
        await server.launcher.idle();
        return Promise.all(delivered.taken!.runIds.map(async (id) => (await getRun(server.store, id))!));
      };

      const [pushed] = await deliver("push", {
        ref: "refs/heads/main",
        before: "0".repeat(40),
        after: git("rev-parse", "HEAD"),
        repository: { full_name: fullName },
        sender: { login: "octocat" },
      });
      const leak = pushed!.jobs.find((job) => job.jobId === "leak")!;
      // The last step fails on purpose; everything before it ran with the secrets.
      assert.equal(leak.conclusion, "failure");
      assert.equal(leak.outputs?.["region"], "eu-prod");
      assert.ok(!leak.outputs?.["leaked"], "an output holding a secret is dropped");
      const logs = (await (
        await fetch(`${server.url}/api/jobs/${leak.id}/logs`, { headers: viewer })
      ).json()) as {
        chunks: { text: string }[];
      };
      const text = logs.chunks.map((chunk) => chunk.text).join("");
      assert.match(text, /plain \*\*\* and env \*\*\*/);
      assert.match(text, /url \*\*\*/);
      const steps = await server.store.db
        .selectFrom("steps")
        .select(["name", "outcome"])
        .where("job_row_id", "=", leak.id)
        .orderBy("step_index")
        .execute();
      assert.deepEqual(
        steps.map((step) => step.outcome),
        ["success", "success", "success", "success", "failure", "failure", "failure"],
      );
      const artifacts = await (
        await fetch(`${server.url}/api/runs/${pushed!.run.id}/artifacts`, { headers: viewer })
      ).json();
      assert.deepEqual(
        (artifacts as { artifacts: { name: string }[] }).artifacts.map((artifact) => artifact.name),
        ["canary-files", "named-_masked_"],
      );
      const queued = await server.store.db
        .selectFrom("jobs")
        .select("request")
        .where("id", "=", leak.id)
        .executeTakeFirst();
      assert.ok(
        queued?.request && !queued.request.includes(canary) && queued.request.includes("hangar-secret-"),
      );

      // Pull requests: head.repo tells a fork from a branch of the same repository.
      const pr = await makePullRequest(repo, { number: 5, files: { "change.txt": "x\n" } });
      const prPayload = (action: string, headRepo: string) => {
        const payload = pr.payload(action, fullName) as {
          pull_request: Record<string, Record<string, unknown>>;
        };
        payload.pull_request["head"]!["repo"] = { full_name: headRepo };
        payload.pull_request["base"]!["repo"] = { full_name: fullName };
        return payload as unknown as Record<string, unknown>;
      };
      const probe = async (event: string, headRepo: string) => {
        const runs = await deliver(event, prPayload("opened", headRepo));
        assert.equal(runs.length, 1, `${event} from ${headRepo} runs pr.yml`);
        return runs[0]!.jobs[0]!.outputs;
      };
      assert.deepEqual(await probe("pull_request", "mallory/canary"), { length: "0", matches: "no" });
      assert.deepEqual(await probe("pull_request", fullName), {
        length: String(canary.length),
        matches: "yes",
      });
      assert.deepEqual(await probe("pull_request_target", "mallory/canary"), {
        length: String(canary.length),
        matches: "yes",
      });

      const needles = needlesOf([canary, envCanary, multi, ...multi.split("\n")]);
      assert.deepEqual(await leaksIn(dataDir, needles), []);
      if (database.options.url) {
        const dump = execFileSync(path.join(findBinDir(), "pg_dump"), ["--dbname", database.options.url], {
          maxBuffer: 256 * 1024 * 1024,
        });
        assert.ok(dump.includes(Buffer.from("secret:set")), "the dump holds the events");
        assert.deepEqual(
          needles.filter((needle) => dump.includes(Buffer.from(needle))),
          [],
        );
      }
      // The grep can fail: the artifact's content, in a blob, is the canary itself.
      const blobs: string[] = [];
      for await (const file of filesUnder(path.join(dataDir, "blobs"))) {
        if ((await readFile(file)).includes(Buffer.from(canary))) blobs.push(file);
      }
      assert.equal(blobs.length, 1, "the artifact file's content is stored as uploaded");
    });
  });
}
