// Entry of one workflow-pool worker thread: registers the JSON import hook, then serves workflow-tasks.ts.
import { register } from "node:module";

// Node 20 does not carry the main thread's module hooks into a worker, and the parser imports its JSON schemas bare
// (bin/json-import-hook.mjs, beside both src/ and dist/).
register("../../../bin/json-import-hook.mjs", import.meta.url);

export const { planFile, readSchedules, checkFile } = await import("./workflow-tasks.js");
