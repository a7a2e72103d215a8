// Main phase: sees pre's state and adds a multi-line value of its own with a heredoc.
import { appendFileSync } from "node:fs";

console.log(`main sees ${process.env.STATE_phase_pre}`);
appendFileSync(process.env.GITHUB_STATE, "phase_main<<EOF\nmain\nran\nEOF\n");
