// Secrets at rest on both dialects: AES-256-GCM sealing bound to the secret's address, the key file (created 0600,
// refused when others can read it), a wrong key named clearly, key rotation that keeps every value readable, the
// exposure rule for pull requests from forks, environment overlay, variables, and events that carry names only.
import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { sql } from "kysely";
import { isFromFork } from "../../src/runner/index.js";
import {
  resolveJobSecrets,
  resolveVariables,
  rotateSecretKey,
  SecretKeyring,
  setSecret,
  setVariable,
} from "../../src/control/secrets/index.js";
import { deleteScopedValue, insertRepository, listSecrets, type Store } from "../../src/store/index.js";
import { DIALECTS, openTestStore } from "../store/test-stores.js";

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "hangar-secrets-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function withRepository(
  dialect: (typeof DIALECTS)[number],
): Promise<{ store: Store; repositoryId: number }> {
  const store = await openTestStore(dialect);
  const repository = await insertRepository(store, { name: "octo/app", gitUrl: "/dev/null" });
  return { store, repositoryId: repository.id };
}

const push = { event: "push", payload: {} };

test("the key file is created owner-only on first load and read back the same", async (t) => {
  const dataDir = await tempDir(t);
  const first = await SecretKeyring.load({ dataDir, env: {} });
  const file = path.join(dataDir, "secret-key");
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  assert.equal(Buffer.from((await readFile(file, "utf8")).trim(), "base64").length, 32);
  const again = await SecretKeyring.load({ dataDir, env: {} });
  assert.equal(again.primary.id, first.primary.id);
});

test("a key file others can read is refused with the chmod that fixes it", async (t) => {
  const dataDir = await tempDir(t);
  await SecretKeyring.load({ dataDir, env: {} });
  const file = path.join(dataDir, "secret-key");
  await chmod(file, 0o644);
  await assert.rejects(SecretKeyring.load({ dataDir, env: {} }), (error: Error & { code?: string }) => {
    assert.equal(error.code, "SECRET_KEY_FILE_PERMISSIONS");
    assert.match(error.message, /mode 0644.*chmod 600 /);
    return true;
  });
});

test("HANGAR_SECRET_KEY must be 32 bytes of base64; given, no key file is made", async (t) => {
  const dataDir = await tempDir(t);
  await assert.rejects(SecretKeyring.load({ dataDir, env: { HANGAR_SECRET_KEY: "c2hvcnQ=" } }), {
    code: "SECRET_KEY_INVALID",
    message: /\$HANGAR_SECRET_KEY must hold a 32-byte key in base64.*it holds 5 bytes/,
  });
  const key = Buffer.alloc(32, 7).toString("base64");
  const keyring = await SecretKeyring.load({ dataDir, env: { HANGAR_SECRET_KEY: key } });
  assert.equal(keyring.isFromFile, false);
  await assert.rejects(stat(path.join(dataDir, "secret-key")), { code: "ENOENT" });
});

test("fork detection fails closed", () => {
  const pr = (head: unknown, base = "octo/app") => ({
    pull_request: { head: { repo: head }, base: { repo: { full_name: base } } },
  });
  assert.equal(isFromFork(pr({ full_name: "octo/app" })), false);
  assert.equal(isFromFork(pr({ full_name: "OCTO/App" })), false);
  assert.equal(isFromFork(pr({ full_name: "mallory/app" })), true);
  assert.equal(isFromFork(pr(null)), true, "a deleted fork");
  assert.equal(isFromFork({ pull_request: {} }), true, "no proof of a same-repository head");
});

for (const dialect of DIALECTS) {
  describe(`secrets on ${dialect}`, () => {
    test("a sealed secret opens for a job; the row holds no plaintext; events name it only", async (t) => {
      const { store, repositoryId } = await withRepository(dialect);
      const keyring = await SecretKeyring.load({ dataDir: await tempDir(t), env: {} });
      const value = `canary-${Math.random().toString(36).slice(2)}`;
      const name = await setSecret(store, keyring, {
        repositoryId,
        name: "deploy_token",
        value,
        actor: "alice",
      });
      assert.equal(name, "DEPLOY_TOKEN");
      const rows = await store.db.selectFrom("secrets").selectAll().execute();
      assert.equal(rows.length, 1);
      assert.ok(!JSON.stringify(rows).includes(value));
      assert.equal(rows[0]!.key_id, keyring.primary.id);
      const delivered = await resolveJobSecrets(store, keyring, { repositoryId, ...push });
      assert.deepEqual(delivered, { repository: { DEPLOY_TOKEN: value }, environment: {} });
      const listed = await listSecrets(store, { repositoryId });
      assert.deepEqual(Object.keys(listed[0]!).sort(), ["createdAt", "environment", "name", "updatedAt"]);
      assert.equal(
        await deleteScopedValue(store, { repositoryId, kind: "secret", name, actor: "bob" }),
        true,
      );
      const events = await store.db
        .selectFrom("events")
        .select(["action", "actor", "resource_type", "payload"])
        .where("resource_type", "=", "secret")
        .orderBy("id")
        .execute();
      assert.deepEqual(
        events.map((e) => [e.action, e.actor]),
        [
          ["secret:set", "alice"],
          ["secret:deleted", "bob"],
        ],
      );
      assert.ok(!JSON.stringify(events).includes(value));
    });

    test("names follow GitHub's rules", async (t) => {
      const { store, repositoryId } = await withRepository(dialect);
      const keyring = await SecretKeyring.load({ dataDir: await tempDir(t), env: {} });
      for (const bad of ["GITHUB_TOKEN", "1ABC", "has-dash", ""]) {
        await assert.rejects(setSecret(store, keyring, { repositoryId, name: bad, value: "v", actor: "a" }), {
          code: "SECRET_NAME_INVALID",
        });
      }
    });

    test("environment secrets and variables overlay the repository's; a fork's pull request gets none", async (t) => {
      const { store, repositoryId } = await withRepository(dialect);
      const keyring = await SecretKeyring.load({ dataDir: await tempDir(t), env: {} });
      const set = (name: string, value: string, environment?: string) =>
        setSecret(store, keyring, { repositoryId, environment, name, value, actor: "a" });
      await set("SHARED", "repo-shared");
      await set("ONLY_REPO", "repo-only");
      await set("SHARED", "prod-shared", "production");
      await set("SHARED", "staging-shared", "staging");
      const prod = await resolveJobSecrets(store, keyring, {
        repositoryId,
        environment: "production",
        ...push,
      });
      assert.deepEqual(prod, {
        repository: { ONLY_REPO: "repo-only", SHARED: "repo-shared" },
        environment: { SHARED: "prod-shared" },
      });
      const fromRepo = (full: string) => ({
        pull_request: { head: { repo: { full_name: full } }, base: { repo: { full_name: "octo/app" } } },
      });
      const none = { repository: {}, environment: {} };
      const fork = fromRepo("mallory/app");
      assert.deepEqual(
        await resolveJobSecrets(store, keyring, { repositoryId, event: "pull_request", payload: fork }),
        none,
      );
      assert.deepEqual(
        await resolveJobSecrets(store, keyring, {
          repositoryId,
          environment: "production",
          event: "pull_request_review",
          payload: fork,
        }),
        none,
      );
      const target = await resolveJobSecrets(store, keyring, {
        repositoryId,
        event: "pull_request_target",
        payload: fork,
      });
      assert.equal(target.repository["SHARED"], "repo-shared");
      const same = await resolveJobSecrets(store, keyring, {
        repositoryId,
        event: "pull_request",
        payload: fromRepo("octo/app"),
      });
      assert.equal(same.repository["ONLY_REPO"], "repo-only");

      await setVariable(store, { repositoryId, name: "region", value: "eu", actor: "a" });
      await setVariable(store, { repositoryId, name: "level", value: "low", actor: "a" });
      await setVariable(store, {
        repositoryId,
        environment: "production",
        name: "level",
        value: "high",
        actor: "a",
      });
      assert.deepEqual(await resolveVariables(store, { repositoryId, environment: "production" }), {
        LEVEL: "high",
        REGION: "eu",
      });
      assert.deepEqual(await resolveVariables(store, { repositoryId }), { LEVEL: "low", REGION: "eu" });
    });

    test("a ciphertext moved onto another secret fails authentication", async (t) => {
      const { store, repositoryId } = await withRepository(dialect);
      const keyring = await SecretKeyring.load({ dataDir: await tempDir(t), env: {} });
      await setSecret(store, keyring, { repositoryId, name: "A", value: "value-of-a", actor: "x" });
      await setSecret(store, keyring, { repositoryId, name: "B", value: "value-of-b", actor: "x" });
      await sql`update secrets set ciphertext = (select ciphertext from secrets where name = 'A'),
        nonce = (select nonce from secrets where name = 'A'), auth_tag = (select auth_tag from secrets where name = 'A')
        where name = 'B'`.execute(store.db);
      await assert.rejects(resolveJobSecrets(store, keyring, { repositoryId, ...push }), {
        code: "SECRET_TAMPERED",
        message: /secret 'B' \(repository \d+\) fails authentication/,
      });
    });

    test("a wrong key is named, not mistaken for tampering", async (t) => {
      const { store, repositoryId } = await withRepository(dialect);
      const keyring = await SecretKeyring.load({ dataDir: await tempDir(t), env: {} });
      await setSecret(store, keyring, { repositoryId, name: "A", value: "value-of-a", actor: "x" });
      const other = await SecretKeyring.load({
        dataDir: await tempDir(t),
        env: { HANGAR_SECRET_KEY: Buffer.alloc(32, 1).toString("base64") },
      });
      await assert.rejects(resolveJobSecrets(store, other, { repositoryId, ...push }), {
        code: "SECRET_KEY_MISMATCH",
        message: new RegExp(
          `sealed with key ${keyring.primary.id}, but the key in use \\(\\$HANGAR_SECRET_KEY\\) is`,
        ),
      });
    });

    test("rotate-key re-seals every secret; a keyring loaded before still reads them", async (t) => {
      const { store, repositoryId } = await withRepository(dialect);
      const dataDir = await tempDir(t);
      const keyring = await SecretKeyring.load({ dataDir, env: {} });
      const server = await SecretKeyring.load({ dataDir, env: {} });
      const oldId = keyring.primary.id;
      await setSecret(store, keyring, { repositoryId, name: "A", value: "value-of-a", actor: "x" });
      await setSecret(store, keyring, {
        repositoryId,
        environment: "prod",
        name: "B",
        value: "value-b",
        actor: "x",
      });
      const rotated = await rotateSecretKey(store, keyring, { actor: "local:root" });
      assert.equal(rotated.secrets, 2);
      assert.notEqual(rotated.keyId, oldId);
      const ids = await store.db.selectFrom("secrets").select("key_id").execute();
      assert.deepEqual(
        ids.map((row) => row.key_id),
        [rotated.keyId, rotated.keyId],
      );
      const file = path.join(dataDir, "secret-key");
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.equal((await SecretKeyring.load({ dataDir, env: {} })).primary.id, rotated.keyId);
      await assert.rejects(stat(path.join(dataDir, "secret-key.next")), { code: "ENOENT" });
      // A server started before the rotation rereads the key file when it meets the new key id.
      const delivered = await resolveJobSecrets(store, server, {
        repositoryId,
        environment: "prod",
        ...push,
      });
      assert.deepEqual(delivered, { repository: { A: "value-of-a" }, environment: { B: "value-b" } });
      const event = await store.db
        .selectFrom("events")
        .select(["payload", "actor"])
        .where("action", "=", "secret:key-rotated")
        .executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(event.payload), { keyId: rotated.keyId, secrets: 2 });
    });

    test("rotate-key with HANGAR_SECRET_KEY writes the new key to the file named, owner-only", async (t) => {
      const { store, repositoryId } = await withRepository(dialect);
      const dataDir = await tempDir(t);
      const env = { HANGAR_SECRET_KEY: Buffer.alloc(32, 9).toString("base64") };
      const keyring = await SecretKeyring.load({ dataDir, env });
      await setSecret(store, keyring, { repositoryId, name: "A", value: "value-of-a", actor: "x" });
      await assert.rejects(rotateSecretKey(store, keyring, { actor: "x" }), /--new-key-file/);
      const newKeyFile = path.join(dataDir, "rotated.key");
      await rotateSecretKey(store, keyring, { actor: "x", newKeyFile });
      assert.equal((await stat(newKeyFile)).mode & 0o777, 0o600);
      const next = await SecretKeyring.load({
        dataDir,
        env: { HANGAR_SECRET_KEY: (await readFile(newKeyFile, "utf8")).trim() },
      });
      const delivered = await resolveJobSecrets(store, next, { repositoryId, ...push });
      assert.equal(delivered.repository["A"], "value-of-a");
      await assert.rejects(resolveJobSecrets(store, keyring, { repositoryId, ...push }), {
        code: "SECRET_KEY_MISMATCH",
      });
    });
  });
}
