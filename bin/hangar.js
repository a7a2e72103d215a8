#!/usr/bin/env node
// The installed entry point: the CLI bundle scripts/build.mjs writes.
await import("../dist/hangar.js");
