// `hangar token create|ls|revoke` as a user runs them on the server host, on both stores: the token is printed once
// and alone on stdout, never listed, stops working when revoked, and each act is an event by `local:<os user>`;
// `hangar serve` on a store without tokens says how to create the first admin token.
import assert from "node:assert/strict";
import os from "node:os";
import { describe, test } from "node:test";
import { authenticateApiToken, openStore } from "../../src/store/index.js";
import { createTestDatabase, DIALECTS } from "../store/test-stores.js";
import { runHangar } from "../support/hangar-cli.js";
import { freePort, startServe } from "../support/hangar-process.js";

for (const dialect of DIALECTS) {
  describe(`hangar token (${dialect})`, () => {
    test("create prints the token alone, ls never shows it, revoke ends it, and both are events", async () => {
      const database = await createTestDatabase(dialect);
      const location = ["--data-dir", database.options.dataDir];
      if (database.options.url) location.push("--database-url", database.options.url);
      const created = await runHangar([
        "token",
        "create",
        "--user",
        "erin",
        "--role",
        "approver",
        "--env",
        "production, staging",
        "--expires",
        "30d",
        ...location,
      ]);
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /^hga_[A-Za-z0-9_-]{43}\n$/);
      assert.match(
        created.stderr,
        /created token 1 for erin \(approver on production,staging\), expires \d{4}-/,
      );
      const token = created.stdout.trim();

      const table = await runHangar(["token", "ls", ...location]);
      assert.equal(table.code, 0, table.stderr);
      assert.match(table.stdout, /^ID\s+USER\s+ROLE\s+ENVIRONMENTS\s+STATE/);
      assert.match(table.stdout, /\n1\s+erin\s+approver\s+production,staging\s+active\s/);
      const listed = await runHangar(["token", "ls", "--json", ...location]);
      assert.equal(listed.code, 0, listed.stderr);
      const [record] = JSON.parse(listed.stdout) as Record<string, unknown>[];
      assert.deepEqual(Object.keys(record!).sort(), [
        "createdAt",
        "environments",
        "expiresAt",
        "id",
        "lastUsedAt",
        "revokedAt",
        "role",
        "state",
        "user",
      ]);
      assert.doesNotMatch(table.stdout + listed.stdout, /hga_/);

      const store = await openStore(database.options);
      try {
        assert.equal((await authenticateApiToken(store, token))?.user, "erin");
        const revoked = await runHangar(["token", "revoke", "1", ...location]);
        assert.equal(revoked.code, 0, revoked.stderr);
        assert.match(revoked.stderr, /revoked token 1 \(erin\)/);
        assert.equal(await authenticateApiToken(store, token), undefined);
        const events = await store.db
          .selectFrom("events")
          .select(["action", "actor"])
          .where("resource_type", "=", "token")
          .orderBy("id")
          .execute();
        const actor = `local:${os.userInfo().username}`;
        assert.deepEqual(events, [
          { action: "token:created", actor },
          { action: "token:revoked", actor },
        ]);
      } finally {
        await store.close();
      }
      assert.match(
        (await runHangar(["token", "ls", ...location])).stdout,
        /\n1\s+erin\s+approver\s+\S+\s+revoked\s/,
      );
    });
  });
}

describe("hangar token usage errors", () => {
  test("bad arguments exit 2 naming the flag or field, and create nothing", async () => {
    const { options } = await createTestDatabase("sqlite");
    const location = ["--data-dir", options.dataDir];
    const cases: [string[], RegExp][] = [
      [
        ["create", "--user", "a", "--role", "root"],
        /--role must be one of viewer, operator, approver, admin/,
      ],
      [["create", "--role", "viewer"], /--user is required/],
      [["create", "--user", "a", "--role", "approver"], /environments: an approver token needs/],
      [["create", "--user", "local:me", "--role", "admin"], /user "local:me"/],
      [
        ["create", "--user", "a", "--role", "viewer", "--expires", "tomorrow"],
        /--expires must be a duration/,
      ],
      [["revoke", "7"], /no API token with id 7/],
      [["revoke", "seven"], /numeric token id/],
      [["rotate"], /expected 'token create\|ls\|revoke'/],
    ];
    for (const [args, message] of cases) {
      const result = await runHangar(["token", ...args, ...location]);
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(" "));
    }
    assert.match((await runHangar(["token", "ls", ...location])).stdout, /^no API tokens/);
  });
});

describe("bootstrap", () => {
  test("hangar serve on a store without API tokens says how to create the first admin token", async () => {
    const { options } = await createTestDatabase("sqlite");
    const server = await startServe({ dataDir: options.dataDir, port: await freePort() });
    try {
      await server.waitForStderr(
        new RegExp(`hangar token create --user admin --role admin --data-dir ${options.dataDir}\\n`),
      );
    } finally {
      await server.kill("SIGTERM");
    }
  });
});
