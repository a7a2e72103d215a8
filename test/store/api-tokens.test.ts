// API tokens on both dialects: shown once and stored hashed, expiry by the database's clock, revocation, the events
// that go with creating and revoking, and input refused with the field named.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sql } from "kysely";
import {
  API_TOKEN_ROLES,
  authenticateApiToken,
  createApiToken,
  listApiTokens,
  revokeApiToken,
  type Store,
} from "../../src/store/index.js";
import { DIALECTS, openTestStore } from "./test-stores.js";

async function tokenEvents(store: Store) {
  const rows = await store.db
    .selectFrom("events")
    .select(["action", "resource_type", "resource_id", "actor", "payload"])
    .where("resource_type", "=", "token")
    .orderBy("id")
    .execute();
  return rows.map((row) => ({ ...row, payload: JSON.parse(row.payload) as Record<string, unknown> }));
}

for (const dialect of DIALECTS) {
  describe(`API tokens (${dialect})`, () => {
    test("the token is returned once, only its hash is stored, and it authenticates its user and role", async () => {
      const store = await openTestStore(dialect);
      const { token, record } = await createApiToken(store, {
        user: "alice",
        role: "approver",
        environments: ["production", "staging"],
        actor: "local:root",
      });
      assert.match(token, /^hga_[A-Za-z0-9_-]{43}$/);
      const rows = await store.db.selectFrom("api_tokens").selectAll().execute();
      assert.equal(rows.length, 1);
      assert.doesNotMatch(JSON.stringify(rows), new RegExp(token.slice(4)));
      assert.match(rows[0]!.token_hash, /^[0-9a-f]{64}$/);

      const found = await authenticateApiToken(store, token);
      assert.ok(found);
      assert.deepEqual(
        { id: found.id, user: found.user, role: found.role, environments: found.environments },
        { id: record.id, user: "alice", role: "approver", environments: ["production", "staging"] },
      );
      assert.equal(await authenticateApiToken(store, `${token}x`), undefined);
      const [listed] = await listApiTokens(store);
      assert.ok(listed?.lastUsedAt, "authenticating notes when the token was last used");
      assert.ok(!("tokenHash" in listed) && !("token" in listed));

      const events = await tokenEvents(store);
      assert.deepEqual(
        events.map((event) => [event.action, event.resource_id, event.actor]),
        [["token:created", String(record.id), "local:root"]],
      );
      assert.deepEqual(events[0]!.payload, {
        tokenId: record.id,
        user: "alice",
        role: "approver",
        environments: ["production", "staging"],
        expiresAt: null,
      });
      assert.doesNotMatch(JSON.stringify(await store.db.selectFrom("events").selectAll().execute()), /hga_/);
    });

    test("an expired token does not authenticate; a relative expiry counts from the database's clock", async () => {
      const store = await openTestStore(dialect);
      const past = await createApiToken(store, {
        user: "old",
        role: "viewer",
        expires: { at: new Date("2000-01-01T00:00:00Z") },
        actor: "test",
      });
      assert.equal(past.record.expiresAt, "2000-01-01T00:00:00.000Z");
      assert.equal(await authenticateApiToken(store, past.token), undefined);

      const month = await createApiToken(store, {
        user: "bot",
        role: "operator",
        expires: { inMs: 30 * 86_400_000 },
        actor: "test",
      });
      const days = (Date.parse(month.record.expiresAt!) - Date.parse(month.record.createdAt)) / 86_400_000;
      assert.ok(Math.abs(days - 30) < 0.01, `expires 30 days after creation, got ${days}`);
      assert.ok(await authenticateApiToken(store, month.token));
      // Time passes: written as an old expiry, not slept.
      await store.db
        .updateTable("api_tokens")
        .set({ expires_at: "2001-01-01T00:00:00.000Z" })
        .where("id", "=", month.record.id)
        .execute();
      assert.equal(await authenticateApiToken(store, month.token), undefined);
    });

    test("a revoked token stops authenticating; revoking twice records one event; an unknown id is refused", async () => {
      const store = await openTestStore(dialect);
      const { token, record } = await createApiToken(store, { user: "carol", role: "admin", actor: "test" });
      const revoked = await revokeApiToken(store, { id: record.id, actor: "local:ops" });
      assert.ok(revoked?.revokedAt);
      assert.equal(await authenticateApiToken(store, token), undefined);
      assert.equal(await revokeApiToken(store, { id: record.id, actor: "local:ops" }), undefined);
      await assert.rejects(revokeApiToken(store, { id: record.id + 100, actor: "test" }), {
        code: "STORE_NOT_FOUND",
      });
      const events = await tokenEvents(store);
      assert.deepEqual(
        events.map((event) => [event.action, event.actor]),
        [
          ["token:created", "test"],
          ["token:revoked", "local:ops"],
        ],
      );
      assert.deepEqual(events[1]!.payload, { tokenId: record.id, user: "carol", role: "admin" });
    });

    test("bad input is refused naming the field", async () => {
      const store = await openTestStore(dialect);
      const cases: [Parameters<typeof createApiToken>[1], RegExp][] = [
        [{ user: "local:root", role: "admin", actor: "t" }, /^user /],
        [{ user: "", role: "admin", actor: "t" }, /^user /],
        [{ user: "a", role: "root" as "admin", actor: "t" }, /^role /],
        [{ user: "a", role: "approver", actor: "t" }, /^environments: an approver/],
        [{ user: "a", role: "viewer", environments: ["production"], actor: "t" }, /^environments: only/],
        [{ user: "a", role: "approver", environments: ["a,b"], actor: "t" }, /^environments: "a,b"/],
        [{ user: "a", role: "viewer", expires: { at: new Date("nope") }, actor: "t" }, /^expires: /],
        [{ user: "a", role: "viewer", expires: { inMs: 0 }, actor: "t" }, /^expires: /],
      ];
      for (const [input, message] of cases) {
        await assert.rejects(createApiToken(store, input), { code: "STORE_INVALID_ARGUMENT", message });
      }
      assert.deepEqual(await listApiTokens(store), []);
    });

    test("the database's role constraint lists exactly API_TOKEN_ROLES", async () => {
      const store = await openTestStore(dialect);
      const insert = (role: string, index: number) =>
        sql`insert into api_tokens (user_name, role, environments, token_hash)
            values ('u', ${role}, '[]', ${`hash-${role}-${index}`})`.execute(store.db);
      for (const [index, role] of API_TOKEN_ROLES.entries()) await insert(role, index);
      await assert.rejects(insert("superuser", 99));
      assert.deepEqual(
        (await listApiTokens(store)).map((token) => token.role),
        [...API_TOKEN_ROLES],
      );
    });
  });
}
