// Process entry for the CLI; loaded after the JSON import hook is registered (bin/hangar.js, scripts/register.mjs).
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
