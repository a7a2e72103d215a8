// Entry of one workflow-pool worker thread (bundled into dist/workflow-worker.js beside the CLI's bundle).
export { planFile, readSchedules, checkFile } from "./workflow-tasks.js";
