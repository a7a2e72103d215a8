// The ordered list of migrations. Append-only: a released migration is never edited, only followed by a new one.
import type { Kysely } from "kysely";
import type { Dialect } from "../store.js";
import { createTables } from "./0001-create-tables.js";
import { createViews } from "./0002-create-views.js";
import { addQueueRequests } from "./0003-queue-requests.js";
import { addRunOrchestration } from "./0004-run-orchestration.js";
import { createJobWaits } from "./0005-job-waits.js";
import { addArtifactFileCounts } from "./0006-artifact-file-counts.js";
import { addAuditChain } from "./0007-audit-chain.js";
import { createSecretsAndVariables } from "./0008-secrets-variables.js";
import { createEnvironments } from "./0009-environments.js";
import { createApiTokens } from "./0010-api-tokens.js";
import { createConcurrencySlots } from "./0011-concurrency-slots.js";
import { addRunJobMessages } from "./0012-run-job-messages.js";
import { createIntakeQueue } from "./0013-intake-queue.js";

export interface Migration {
  version: number;
  name: string;
  // Kysely's guidance: migrations must not depend on today's `Database` interface, which later migrations change.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "create-tables", up: createTables },
  { version: 2, name: "create-views", up: createViews },
  { version: 3, name: "queue-requests", up: addQueueRequests },
  { version: 4, name: "run-orchestration", up: addRunOrchestration },
  { version: 5, name: "job-waits", up: createJobWaits },
  { version: 6, name: "artifact-file-counts", up: addArtifactFileCounts },
  { version: 7, name: "audit-chain", up: addAuditChain },
  { version: 8, name: "secrets-variables", up: createSecretsAndVariables },
  { version: 9, name: "environments", up: createEnvironments },
  { version: 10, name: "api-tokens", up: createApiTokens },
  { version: 11, name: "concurrency-slots", up: createConcurrencySlots },
  { version: 12, name: "run-job-messages", up: addRunJobMessages },
  { version: 13, name: "intake-queue", up: createIntakeQueue },
];
