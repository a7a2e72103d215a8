// Test and bench entry: TypeScript through tsx plus the JSON import hook the workflow parser needs.
import { register } from "node:module";
import { register as registerTsx } from "tsx/esm/api";
registerTsx();
register("./json-import-hook.mjs", import.meta.url);
