#!/usr/bin/env node
// The installed entry point: registers the JSON import hook the workflow parser needs, then runs the compiled CLI.
import { register } from "node:module";

register("./json-import-hook.mjs", import.meta.url);
await import("../dist/cli/bin.js");
