// A child process for the audit concurrency test: opens its own store connection and appends events, each in its
// own transaction. Arguments: JSON {options, actor, count}. Says "ready" on stderr, then waits for a line on stdin so
// that all children append at once.
import { once } from "node:events";
import { appendEvent, openStore } from "../../src/store/index.js";

const { options, actor, count } = JSON.parse(process.argv[2]!) as {
  options: { url?: string; dataDir: string };
  actor: string;
  count: number;
};
const store = await openStore(options);
process.stderr.write("ready\n");
await once(process.stdin, "data");
for (let index = 0; index < count; index++) {
  await appendEvent(store, {
    action: "delivery:received",
    resourceType: "audit",
    resourceId: index,
    actor,
    payload: { index },
  });
  // A pause between transactions: SQLite's write lock could otherwise go back to the same writer every time, and
  // the test would not see the writers overlap.
  await new Promise((resolve) => setTimeout(resolve, 2));
}
await store.close();
