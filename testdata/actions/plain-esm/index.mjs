// A JavaScript action with no dependencies: inputs from INPUT_*, result to GITHUB_OUTPUT.
import { appendFileSync } from "node:fs";

const message = `${process.env.INPUT_GREETING}, ${process.env.INPUT_WHO}!`;
console.log(message);
appendFileSync(
  process.env.GITHUB_OUTPUT,
  [
    `message=${message}`,
    `token=${process.env.INPUT_TOKEN}`,
    `spaced=${process.env.INPUT_MY_INPUT}`,
    `action_path=${process.env.GITHUB_ACTION_PATH}`,
    `action_repository=${process.env.GITHUB_ACTION_REPOSITORY ?? "(unset)"}`,
    `action_ref=${process.env.GITHUB_ACTION_REF ?? "(unset)"}`,
    `cwd=${process.cwd()}`,
    "",
  ].join("\n"),
);
