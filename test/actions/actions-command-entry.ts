// Process entry running `hangar actions` alone, for tests, until src/cli/main.ts dispatches to it (then use test/support/hangar-cli.ts).
import { actionsCommand } from "../../src/cli/commands/actions.js";

process.exitCode = await actionsCommand(process.argv.slice(2));
