// The test files for `npm test`'s main part, the slowest first: with two files at a time, a minutes-long file that
// started last would run on alone at the end. Each part below took a minute or more on a 2-core machine.
import { readdirSync } from "node:fs";

const slowestFirst = [
  "test/server/replicas.test.ts",
  "test/fixtures/workflow-fixtures-on-server.test.ts",
  "test/runner/container-jobs.test.ts",
  "test/fixtures/workflow-fixtures.test.ts",
  "test/server/investigate-approve-act.test.ts",
  "test/server/resilience.test.ts",
  "test/runner/image-store.test.ts",
];

// The microVM tests are their own part (`npm run test:microvm`): one QEMU under TCG at a time.
const rest = readdirSync("test", { recursive: true, encoding: "utf8" })
  .map((file) => `test/${file}`)
  .filter((file) => file.endsWith(".test.ts") && !file.split("/").pop().startsWith("microvm-"))
  .filter((file) => !slowestFirst.includes(file))
  .sort();

process.stdout.write([...slowestFirst, ...rest].join("\n"));
