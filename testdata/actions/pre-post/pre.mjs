// Pre phase: saves state through the GITHUB_STATE file.
import { appendFileSync } from "node:fs";

appendFileSync(process.env.GITHUB_STATE, "phase_pre=pre ran\n");
console.log("pre");
