// Takes the oldest due delivery in the intake queue and the other due ones of its repository, so one mirror fetch
// serves them all, and leases them to the calling server.
import { sql } from "kysely";
import { sqlNow, sqlNowPlusMs } from "../clock.js";
import type { Store } from "../store.js";
import { runInTransaction } from "../transaction.js";

export interface ClaimedDelivery {
  /** The row's id. */
  id: number;
  deliveryId: string;
  event: string;
  repositoryId: number;
  payload: Record<string, unknown>;
  actor: string;
  /** This attempt's number, from 1; above 1 it was tried before, or its server died taking it. */
  attempts: number;
  receivedAt: string;
}

export interface DeliveryClaim {
  /** The claiming server's instance id; only it can record the deliveries' outcomes. */
  owner: string;
  leaseMs: number;
  /** At most this many deliveries of one repository. */
  limit: number;
}

/**
 * Safe under concurrency: PostgreSQL locks the rows FOR UPDATE SKIP LOCKED, so replicas claiming at once take
 * different deliveries without waiting; SQLite holds the write lock (BEGIN IMMEDIATE). The UPDATE re-checks that
 * each row is still due, so a delivery is leased to one server at a time. A lapsed lease (its server died) is due, and
 * so is a delivery offered to another server (enqueueDelivery) once the offer lapses.
 */
export async function claimDeliveries(store: Store, claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
  return runInTransaction(store, async (trx) => {
    const now = sqlNow(store.dialect);
    // Queued and due, and not offered to another server (or that offer lapsed); or being taken by a dead server.
    const isDue = sql<boolean>`((status = 'queued' and (next_attempt_at is null or next_attempt_at <= ${now})
        and (lease_owner is null or lease_owner = ${claim.owner} or lease_expires_at < ${now}))
      or (status = 'in_progress' and lease_expires_at < ${now}))`;
    const lockFree = <Q extends { forUpdate(): { skipLocked(): Q } }>(query: Q): Q =>
      store.dialect === "postgres" ? query.forUpdate().skipLocked() : query;
    const oldest = await lockFree(
      trx.selectFrom("webhook_deliveries").select("repository_id").where(isDue).orderBy("id").limit(1),
    ).executeTakeFirst();
    if (oldest?.repository_id == null) return [];
    const batch = await lockFree(
      trx
        .selectFrom("webhook_deliveries")
        .select("id")
        .where(isDue)
        .where("repository_id", "=", oldest.repository_id)
        .orderBy("id")
        .limit(claim.limit),
    ).execute();
    const rows = await trx
      .updateTable("webhook_deliveries")
      .set({
        status: "in_progress",
        lease_owner: claim.owner,
        lease_expires_at: sqlNowPlusMs(store.dialect, claim.leaseMs),
        attempts: sql<number>`attempts + 1`,
      })
      .where(
        "id",
        "in",
        batch.map((row) => row.id),
      )
      .where(isDue)
      .returning([
        "id",
        "delivery_id",
        "event",
        "repository_id",
        "payload",
        "actor",
        "attempts",
        "received_at",
      ])
      .execute();
    return rows
      .map((row) => ({
        id: row.id,
        deliveryId: row.delivery_id,
        event: row.event,
        repositoryId: row.repository_id!,
        payload: JSON.parse(row.payload ?? "{}") as Record<string, unknown>,
        actor: row.actor ?? "github",
        attempts: row.attempts,
        receivedAt: row.received_at,
      }))
      .sort((a, b) => a.id - b.id);
  });
}

/** Extends the leases of deliveries the server is still taking (a slow fetch); returns the ids it still holds. */
export async function renewDeliveryLeases(
  store: Store,
  request: { owner: string; ids: readonly number[]; leaseMs: number },
): Promise<number[]> {
  if (request.ids.length === 0) return [];
  const rows = await store.db
    .updateTable("webhook_deliveries")
    .set({ lease_expires_at: sqlNowPlusMs(store.dialect, request.leaseMs) })
    .where("id", "in", request.ids)
    .where("status", "=", "in_progress")
    .where("lease_owner", "=", request.owner)
    .returning("id")
    .execute();
  return rows.map((row) => row.id);
}
