// `hangar serve`'s GitHub reporting flags: each mistake stops the server before it starts, naming the flag.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { readGitHubReporting } from "../../src/cli/github-reporting-options.js";
import { generateAppKey } from "../support/fake-github.js";
import { runHangar } from "../support/hangar-cli.js";

let dir: string;
let keyFile: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "hangar-serve-flags-"));
  keyFile = path.join(dir, "app.pem");
  await writeFile(keyFile, generateAppKey().privateKey);
  await writeFile(path.join(dir, "not-a-key.pem"), "hello\n");
});
after(() => rm(dir, { recursive: true, force: true }));

test("usage errors name the flag", async () => {
  const cases: [Record<string, string | boolean>, RegExp][] = [
    [{ "github-report": "annotations", "github-token": "t" }, /--github-report must be statuses or checks/],
    [{ "github-report": "checks", "github-token": "t" }, /--github-report checks needs --github-app-id/],
    [{ "github-url": "api.github.com", "github-token": "t" }, /--github-url must be an http\(s\) URL/],
    [{ "github-app-id": "12" }, /--github-app-id needs --github-app-key/],
    [{ "github-app-key": keyFile }, /--github-app-key needs --github-app-id/],
    [
      { "github-app-id": "my-app", "github-app-key": keyFile },
      /--github-app-id must be the App's numeric id/,
    ],
    [
      { "github-app-id": "12", "github-app-key": path.join(dir, "missing.pem") },
      /--github-app-key: cannot read/,
    ],
    [
      { "github-app-id": "12", "github-app-key": path.join(dir, "not-a-key.pem") },
      /is not a PEM private key/,
    ],
    [{ "github-app-id": "12", "github-app-key": keyFile, "github-token": "t" }, /give one/],
    [{ "github-pr-comment": true }, /--github-pr-comment needs --github-token/],
    [
      { "github-app-id": "12", "github-app-key": keyFile, "job-token-permissions": "all" },
      /--job-token-permissions must be restricted or permissive/,
    ],
    [
      { "github-token": "t", "job-token-permissions": "restricted" },
      /--job-token-permissions needs --github-app-id/,
    ],
  ];
  for (const [values, message] of cases) {
    await assert.rejects(readGitHubReporting(values, {}), message, JSON.stringify(values));
  }
});

test("a token, $GITHUB_TOKEN or an App make the server's GitHub settings", async () => {
  assert.equal(await readGitHubReporting({}, {}), undefined);
  assert.deepEqual(await readGitHubReporting({ "github-pr-comment": true }, { GITHUB_TOKEN: "env-token" }), {
    baseUrl: "https://api.github.com",
    report: "statuses",
    prComment: true,
    token: "env-token",
  });
  const app = await readGitHubReporting(
    {
      "github-app-id": "12",
      "github-app-key": keyFile,
      "github-report": "checks",
      "github-url": "https://ghe.example/api/v3",
      "job-token-permissions": "permissive",
    },
    { GITHUB_TOKEN: "ignored-for-apps" },
  );
  assert.deepEqual(
    { ...app, privateKey: (app as { privateKey: string }).privateKey.split("\n")[0] },
    {
      baseUrl: "https://ghe.example/api/v3",
      report: "checks",
      prComment: false,
      jobTokenPermissions: "permissive",
      appId: "12",
      privateKey: "-----BEGIN RSA PRIVATE KEY-----",
    },
  );
});

test("hangar serve exits 2 with the usage error before listening", async () => {
  const result = await runHangar(["serve", "--port", "0", "--data-dir", dir, "--github-report", "checks"], {
    env: { GITHUB_TOKEN: "" },
  });
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /--github-report needs --github-token/);
  assert.doesNotMatch(result.stderr, /listening/);
});
