// Creates or changes an environment's protection rules, with its environment:created/updated event in the same
// transaction.
import { sql } from "kysely";
import { sqlNow } from "../clock.js";
import {
  DEFAULT_RULES,
  formatReviewer,
  toEnvironment,
  validateRules,
  type Environment,
  type EnvironmentRules,
} from "../environment-record.js";
import type { Store } from "../store.js";
import { StoreError } from "../store-error.js";
import { runInTransaction } from "../transaction.js";
import { recordEvent } from "./record-event.js";

export interface SaveEnvironmentInput {
  repositoryId: number;
  name: string;
  /** The rules to set; the others keep their value (or GitHub's default on create). */
  rules: Partial<EnvironmentRules>;
  actor: string;
  /**
   * `create` fails when it exists, `update` when it does not, `upsert` does either; `ensure` creates it with no rules
   * when absent and otherwise changes nothing (a job naming an unknown environment, as GitHub does).
   */
  mode: "create" | "update" | "upsert" | "ensure";
}

/**
 * Safe under concurrency: in one write transaction; two racing creates meet the unique (repository, name) constraint
 * and the second fails. Names compare case-insensitively, as on GitHub.
 */
export async function saveEnvironment(store: Store, input: SaveEnvironmentInput): Promise<Environment> {
  const name = input.name.trim();
  if (!/^[^\s/][^/]{0,254}$/.test(name))
    throw new StoreError("STORE_INVALID_ARGUMENT", `environment name '${input.name}' is not valid`);
  return runInTransaction(store, async (trx) => {
    const existingRow = await trx
      .selectFrom("environments")
      .selectAll()
      .where("repository_id", "=", input.repositoryId)
      .where(sql`lower(name)`, "=", name.toLowerCase())
      .executeTakeFirst();
    const existing = existingRow && toEnvironment(existingRow);
    if (existing && input.mode === "ensure") return existing;
    if (existing && input.mode === "create")
      throw new StoreError("STORE_INVALID_ARGUMENT", `environment '${existing.name}' exists already`);
    if (!existing && input.mode === "update")
      throw new StoreError("STORE_NOT_FOUND", `environment '${name}' does not exist`);
    const rules: EnvironmentRules = { ...DEFAULT_RULES, ...(existing ?? {}), ...input.rules };
    validateRules(rules);
    const columns = {
      reviewers: JSON.stringify(rules.reviewers),
      required_approvals: rules.requiredApprovals,
      prevent_self_review: rules.preventSelfReview ? 1 : 0,
      wait_timer: rules.waitTimer,
      branch_policy: rules.branchPolicy,
      branch_patterns: JSON.stringify(rules.branchPatterns),
      can_admins_bypass: rules.canAdminsBypass ? 1 : 0,
    };
    const row = existing
      ? await trx
          .updateTable("environments")
          .set({ ...columns, updated_at: sqlNow(store.dialect) })
          .where("id", "=", existing.id)
          .returningAll()
          .executeTakeFirstOrThrow()
      : await trx
          .insertInto("environments")
          .values({ repository_id: input.repositoryId, name, ...columns })
          .returningAll()
          .executeTakeFirstOrThrow();
    const environment = toEnvironment(row);
    await recordEvent(trx, {
      action: existing ? "environment:updated" : "environment:created",
      resourceType: "environment",
      resourceId: environment.id,
      actor: input.actor,
      payload: {
        repositoryId: environment.repositoryId,
        environment: environment.name,
        reviewers: environment.reviewers.map(formatReviewer),
        requiredApprovals: environment.requiredApprovals,
        preventSelfReview: environment.preventSelfReview,
        waitTimer: environment.waitTimer,
        branchPolicy: environment.branchPolicy,
        branchPatterns: environment.branchPatterns,
        canAdminsBypass: environment.canAdminsBypass,
      },
    });
    return environment;
  });
}
