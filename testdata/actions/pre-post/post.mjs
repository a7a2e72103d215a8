// Post phase: reports every STATE_ variable it was given.
import { appendFileSync } from "node:fs";

const state = Object.keys(process.env)
  .filter((name) => name.startsWith("STATE_"))
  .sort()
  .map((name) => `${name}=${JSON.stringify(process.env[name])}`)
  .join(" ");
appendFileSync(process.env.GITHUB_OUTPUT, `state=${state}\n`);
