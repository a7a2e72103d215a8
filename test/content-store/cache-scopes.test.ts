// Cache scopes: the scopes each kind of run reads and writes (resolveCacheScopes), and a lookup across ordered scopes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ContentStore,
  resolveCacheScopes,
  type CacheScopeInput,
} from "../../src/runner/content-store/index.js";
import { createClock, createFixture } from "./store-fixture.js";

const run = (overrides: Partial<CacheScopeInput>): CacheScopeInput => ({
  repositoryId: 7,
  event: "push",
  ref: "refs/heads/main",
  defaultBranch: "main",
  ...overrides,
});

describe("resolveCacheScopes", () => {
  test("a push to the default branch reads and writes the default branch only", () => {
    assert.deepEqual(resolveCacheScopes(run({})), {
      read: ["repository:7:refs/heads/main"],
      write: "repository:7:refs/heads/main",
    });
  });

  test("a feature branch or a tag reads its own ref, then the default branch, and writes its own ref", () => {
    assert.deepEqual(resolveCacheScopes(run({ ref: "refs/heads/feature-a" })), {
      read: ["repository:7:refs/heads/feature-a", "repository:7:refs/heads/main"],
      write: "repository:7:refs/heads/feature-a",
    });
    assert.deepEqual(resolveCacheScopes(run({ ref: "refs/tags/v1.0.0", defaultBranch: "trunk" })), {
      read: ["repository:7:refs/tags/v1.0.0", "repository:7:refs/heads/trunk"],
      write: "repository:7:refs/tags/v1.0.0",
    });
  });

  test("a pull request reads its merge ref, its base branch, then the default branch, and writes its merge ref", () => {
    const pullRequest = { event: "pull_request", ref: "refs/pull/5/merge" };
    assert.deepEqual(resolveCacheScopes(run({ ...pullRequest, baseBranch: "feature-a" })), {
      read: [
        "repository:7:refs/pull/5/merge",
        "repository:7:refs/heads/feature-a",
        "repository:7:refs/heads/main",
      ],
      write: "repository:7:refs/pull/5/merge",
    });
    // A base that is the default branch is searched once.
    assert.deepEqual(resolveCacheScopes(run({ ...pullRequest, baseBranch: "main" })).read, [
      "repository:7:refs/pull/5/merge",
      "repository:7:refs/heads/main",
    ]);
    // Reviews of the pull request run on the same merge ref, so they share its caches.
    assert.equal(
      resolveCacheScopes(run({ event: "pull_request_review", ref: "refs/pull/5/merge", baseBranch: "main" }))
        .write,
      "repository:7:refs/pull/5/merge",
    );
  });

  test("low-trust runs on the default branch, pull_request_target and workflow_run only restore", () => {
    for (const lowTrust of [
      run({ event: "issue_comment" }),
      // A pull_request payload without a number falls back to the default branch: it must not write there.
      run({ event: "pull_request" }),
      run({ event: "pull_request_target", baseBranch: "main" }),
      run({ event: "pull_request_target", ref: "refs/heads/release-1", baseBranch: "release-1" }),
      run({ event: "workflow_run", ref: "refs/heads/feature-a" }),
    ]) {
      const scopes = resolveCacheScopes(lowTrust);
      assert.ok(scopes.write === undefined && scopes.refusal.startsWith("Cache not saved:"), lowTrust.event);
      assert.deepEqual(
        scopes.read,
        [...new Set([lowTrust.ref, "refs/heads/main"])].map((ref) => `repository:7:${ref}`),
      );
    }
    for (const event of ["schedule", "workflow_dispatch", "repository_dispatch"]) {
      assert.equal(resolveCacheScopes(run({ event })).write, "repository:7:refs/heads/main", event);
    }
  });

  test("two repositories never share a scope", () => {
    assert.deepEqual(resolveCacheScopes(run({ repositoryId: 8 })).read, ["repository:8:refs/heads/main"]);
  });
});

describe("a cache lookup across ordered scopes", () => {
  const [own, base, other] = ["scope:own", "scope:base", "scope:other"];

  async function storeWith(
    entries: Array<{ scope: string | undefined; key: string }>,
  ): Promise<ContentStore> {
    const fx = await createFixture();
    const clock = createClock();
    const store = new ContentStore({ dataDir: fx.dataDir, now: clock.now });
    for (const { scope, key } of entries) {
      const file = { base: "workspace" as const, path: "f", mode: 0o644, size: 1, digest: "0".repeat(64) };
      const saved = await store.commitCache({
        key,
        version: "v",
        ...(scope === undefined ? {} : { scope }),
        entries: [file],
      });
      assert.equal(saved.saved, true);
      clock.advance(60_000);
    }
    return store;
  }

  const find = async (store: ContentStore, scopes: string[] | undefined, restoreKeys: string[] = []) => {
    const entry = await store.lookupCache({
      key: "deps-linux-1",
      restoreKeys,
      version: "v",
      ...(scopes ? { scopes } : {}),
    });
    return entry && { scope: entry.scope, key: entry.key };
  };

  test("every key is tried in the first scope before the next: a prefix match there beats an exact key later", async () => {
    const store = await storeWith([
      { scope: base, key: "deps-linux-1" },
      { scope: own, key: "deps-linux-0" },
      { scope: other, key: "deps-linux-1" },
    ]);
    assert.deepEqual(await find(store, [own, base], ["deps-linux-"]), { scope: own, key: "deps-linux-0" });
    // Without a match in its own scope, the exact key of the next scope.
    assert.deepEqual(await find(store, [own, base]), { scope: base, key: "deps-linux-1" });
    assert.deepEqual(await find(store, [base, own], ["deps-linux-"]), { scope: base, key: "deps-linux-1" });
  });

  test("a scope not listed is never read, and scoped and unscoped entries never meet", async () => {
    const store = await storeWith([
      { scope: other, key: "deps-linux-1" },
      { scope: undefined, key: "deps-linux-2" },
    ]);
    assert.equal(await find(store, [own, base], ["deps-"]), undefined);
    assert.equal(await find(store, [], ["deps-"]), undefined);
    assert.deepEqual(await find(store, undefined, ["deps-"]), { scope: undefined, key: "deps-linux-2" });
  });
});
