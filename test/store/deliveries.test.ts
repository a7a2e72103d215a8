// The intake queue on both dialects: a delivery id is queued once, claimed a repository at a time by one server,
// recorded with its runs in one transaction, retried after a failure, and never lost.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  claimDeliveries,
  enqueueDelivery,
  failDeliveryAttempt,
  getDelivery,
  insertRepository,
  listDeliveries,
  listRuns,
  recordIntakeRuns,
  requeueDelivery,
  type ClaimedDelivery,
  type NewRunInput,
  type Store,
} from "../../src/store/index.js";
import { DIALECTS, openStoreWithRepository, testRunInput } from "./test-stores.js";

const claim = { owner: "server-a", leaseMs: 60_000, limit: 50 };

function push(repositoryId: number, deliveryId: string) {
  return {
    deliveryId,
    event: "push",
    repositoryId,
    payload: { ref: "refs/heads/main", after: "a".repeat(40) },
  };
}

function runOf(repositoryId: number, workflowFile = "ci.yml"): NewRunInput {
  return { ...testRunInput(repositoryId), workflowFile };
}

const noFindings = { skipped: [], invalid: [] };

function leaseOf(delivery: ClaimedDelivery, owner = claim.owner) {
  return { id: delivery.id, deliveryId: delivery.deliveryId, owner };
}

async function twoRepositories(store: Store, firstId: number): Promise<[number, number]> {
  const second = await insertRepository(store, {
    name: "octo/other",
    gitUrl: "https://example.test/octo/other.git",
  });
  return [firstId, second.id];
}

for (const dialect of DIALECTS) {
  describe(`the intake queue (${dialect})`, () => {
    test("a delivery id is queued once: a redelivery is a duplicate, also when sent concurrently", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      assert.equal(await enqueueDelivery(store, push(repositoryId, "d-1")), "queued");
      assert.equal(await enqueueDelivery(store, push(repositoryId, "d-1")), "duplicate");
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, () => enqueueDelivery(store, push(repositoryId, "same"))),
      );
      assert.deepEqual(
        outcomes.filter((outcome) => outcome === "queued"),
        ["queued"],
      );
      const delivery = await getDelivery(store, "d-1");
      assert.equal(delivery?.status, "queued");
      assert.equal(delivery?.attempts, 0);
    });

    test("a claim takes the oldest due delivery with the others of its repository, in order, once", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const [first, second] = await twoRepositories(store, repositoryId);
      for (const [id, repository] of [
        ["a-1", first],
        ["b-1", second],
        ["a-2", first],
        ["b-2", second],
        ["a-3", first],
      ] as const) {
        await enqueueDelivery(store, push(repository, id));
      }
      const batch = await claimDeliveries(store, claim);
      assert.deepEqual(
        batch.map((delivery) => [delivery.deliveryId, delivery.attempts]),
        [
          ["a-1", 1],
          ["a-2", 1],
          ["a-3", 1],
        ],
      );
      assert.deepEqual(batch[0]!.payload, push(first, "a-1").payload);
      const next = await claimDeliveries(store, { ...claim, owner: "server-b", limit: 1 });
      assert.deepEqual(
        next.map((delivery) => delivery.deliveryId),
        ["b-1"],
      );
      assert.deepEqual(
        (await claimDeliveries(store, claim)).map((delivery) => delivery.deliveryId),
        ["b-2"],
      );
      assert.deepEqual(await claimDeliveries(store, claim), []);
    });

    test("a delivery offered to the server that received it is that server's until the offer lapses", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      await enqueueDelivery(store, {
        ...push(repositoryId, "mine"),
        offer: { owner: "server-a", ms: 60_000 },
      });
      await enqueueDelivery(store, {
        ...push(repositoryId, "lapsed"),
        offer: { owner: "server-c", ms: -1_000 },
      });
      assert.deepEqual(
        (await claimDeliveries(store, { ...claim, owner: "server-b" })).map(
          (delivery) => delivery.deliveryId,
        ),
        ["lapsed"],
      );
      assert.deepEqual(
        (await claimDeliveries(store, claim)).map((delivery) => delivery.deliveryId),
        ["mine"],
      );
    });

    test("servers claiming at once never take the same delivery", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      const [first, second] = await twoRepositories(store, repositoryId);
      for (let index = 0; index < 40; index++) {
        await enqueueDelivery(store, push(index % 2 === 0 ? first : second, `d-${index}`));
      }
      const claimedBy = async (owner: string) => {
        const taken: string[] = [];
        for (;;) {
          const batch = await claimDeliveries(store, { ...claim, owner, limit: 3 });
          if (batch.length === 0) return taken;
          taken.push(...batch.map((delivery) => delivery.deliveryId));
        }
      };
      const taken = (await Promise.all(["s-1", "s-2", "s-3", "s-4"].map(claimedBy))).flat();
      assert.equal(taken.length, 40);
      assert.equal(new Set(taken).size, 40);
    });

    test("its runs and its handled state commit together, and only for the server that holds it", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      await enqueueDelivery(store, push(repositoryId, "d-1"));
      const [delivery] = await claimDeliveries(store, claim);
      const runs = {
        triggered: [runOf(repositoryId)],
        invalid: [{ run: runOf(repositoryId, "broken.yml"), message: "invalid workflow file broken.yml" }],
        findings: {
          skipped: [{ file: "docs.yml", reason: "paths" }],
          invalid: [{ file: "broken.yml", problems: ["broken.yml:1:1: bad"] }],
        },
      };
      await assert.rejects(recordIntakeRuns(store, runs, leaseOf(delivery!, "server-b")), {
        code: "QUEUE_LEASE_LOST",
      });
      assert.equal(
        (await listRuns(store, {})).runs.length,
        0,
        "nothing is recorded for a server without the lease",
      );

      const recorded = await recordIntakeRuns(store, runs, leaseOf(delivery!));
      assert.equal(recorded.triggered[0]!.status, "queued");
      assert.deepEqual(
        [recorded.invalid[0]!.status, recorded.invalid[0]!.conclusion],
        ["completed", "failure"],
      );
      const handled = await getDelivery(store, "d-1");
      assert.equal(handled?.status, "handled");
      assert.deepEqual(handled?.runIds, [recorded.triggered[0]!.id, recorded.invalid[0]!.id]);
      assert.deepEqual([handled?.skipped, handled?.invalid], [runs.findings.skipped, runs.findings.invalid]);
      assert.ok(handled?.handledAt);
      await assert.rejects(recordIntakeRuns(store, runs, leaseOf(delivery!)), { code: "QUEUE_LEASE_LOST" });
      assert.equal((await listRuns(store, {})).runs.length, 2, "a handled delivery records its runs once");
    });

    test("a failed attempt waits for its retry, the last one fails for good, and a redelivery queues it again", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      await enqueueDelivery(store, push(repositoryId, "d-1"));
      const [first] = await claimDeliveries(store, claim);
      await failDeliveryAttempt(store, leaseOf(first!), {
        error: "cannot fetch: timeout",
        retryInMs: 60_000,
      });
      let delivery = await getDelivery(store, "d-1");
      assert.deepEqual(
        [delivery?.status, delivery?.attempts, delivery?.error],
        ["queued", 1, "cannot fetch: timeout"],
      );
      assert.ok(delivery?.nextAttemptAt);
      assert.deepEqual(await claimDeliveries(store, claim), [], "not due before its retry time");

      await store.db
        .updateTable("webhook_deliveries")
        .set({ next_attempt_at: "2000-01-01T00:00:00.000Z" })
        .execute();
      const [second] = await claimDeliveries(store, claim);
      assert.equal(second?.attempts, 2);
      await failDeliveryAttempt(store, leaseOf(second!), { error: "no such commit" });
      delivery = await getDelivery(store, "d-1");
      assert.deepEqual([delivery?.status, delivery?.error], ["failed", "no such commit"]);
      assert.deepEqual(await claimDeliveries(store, claim), []);
      assert.deepEqual(
        (await listDeliveries(store, { status: "failed" })).deliveries.map((d) => d.deliveryId),
        ["d-1"],
      );

      assert.equal(await enqueueDelivery(store, push(repositoryId, "d-1")), "requeued");
      const [third] = await claimDeliveries(store, claim);
      assert.equal(third?.attempts, 1, "a redelivery starts its attempts afresh");
      await recordIntakeRuns(store, { triggered: [], invalid: [], findings: noFindings }, leaseOf(third!));
      assert.equal(
        await requeueDelivery(store, "d-1", { actor: "admin" }),
        false,
        "a handled delivery is not queued again",
      );
      assert.equal(await enqueueDelivery(store, push(repositoryId, "d-1")), "duplicate");
    });

    test("a delivery whose server died is claimed again once the lease lapses, and the dead one cannot finish it", async () => {
      const { store, repositoryId } = await openStoreWithRepository(dialect);
      await enqueueDelivery(store, push(repositoryId, "d-1"));
      const [lapsed] = await claimDeliveries(store, { ...claim, owner: "dead", leaseMs: -1_000 });
      const [taken] = await claimDeliveries(store, claim);
      assert.deepEqual([taken?.deliveryId, taken?.attempts], ["d-1", 2]);
      await assert.rejects(
        recordIntakeRuns(
          store,
          { triggered: [runOf(repositoryId)], invalid: [], findings: noFindings },
          leaseOf(lapsed!, "dead"),
        ),
        { code: "QUEUE_LEASE_LOST" },
      );
      await assert.rejects(failDeliveryAttempt(store, leaseOf(lapsed!, "dead"), { error: "x" }), {
        code: "QUEUE_LEASE_LOST",
      });
      assert.equal((await getDelivery(store, "d-1"))?.status, "in_progress");
    });
  });
}
