// The workflow pool for the rest of the server: untrusted workflow files read and planned off the server's thread.
export { createWorkflowPool, type WorkflowPool, type WorkflowPoolOptions } from "./workflow-pool.js";
export type { Schedule, ScheduleRead } from "./workflow-tasks.js";
