// Environments' gates for the rest of the server: the engine's gateJob from the store, and reviewers' decisions.
export {
  createEnvironmentGates,
  type EnvironmentGates,
  type EnvironmentGatesOptions,
} from "./environment-gates.js";
export { decideApproval, ApprovalError, type ApprovalRequest } from "./decide-approval.js";
export { describePendingGates, type PendingGate } from "./pending-gates.js";
