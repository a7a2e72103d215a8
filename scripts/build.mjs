// Builds dist/: the CLI and the workflow-pool worker as bundles (one file loads in a fraction of the time hundreds of
// modules take, so every `hangar` call starts faster), and the file agent that runs inside jobs.
import { build } from "esbuild";

const source = (file) => new URL(`../src/${file}`, import.meta.url).pathname;
const output = (file) => new URL(`../dist/${file}`, import.meta.url).pathname;

/** CommonJS dependencies still require() node's modules; an ES module has no require of its own. */
const requireBanner = {
  js: 'import { createRequire as hangarRequire } from "node:module"; const require = hangarRequire(import.meta.url);',
};

/**
 * @actions/core's OIDC helper imports @actions/http-client (and undici, 0.8 MB), which globbing never calls: its two
 * classes are stood in for by ones that say so if anything ever did.
 */
const withoutHttpClient = {
  name: "without-http-client",
  setup(builder) {
    builder.onResolve({ filter: /^@actions\/http-client(\/|$)/ }, (args) => ({
      path: args.path,
      namespace: "unused",
    }));
    builder.onLoad({ filter: /.*/, namespace: "unused" }, () => ({
      contents: [
        "const unavailable = () => { throw new Error('the file agent has no HTTP client'); };",
        "export class HttpClient { constructor() { unavailable(); } }",
        "export class BearerCredentialHandler { constructor() { unavailable(); } }",
      ].join("\n"),
    }));
  },
};

// The file agent with @actions/glob, for a job's node without hangar's node_modules: sandboxes, microVMs and
// containers see only the job's own directories.
const fileAgent = build({
  entryPoints: [source("runner/job-files/file-agent/main.ts")],
  outfile: output("file-agent.mjs"),
  bundle: true,
  platform: "node",
  format: "esm",
  // A microVM guest may run Debian's own nodejs (18) when the runner's node cannot be shared into it.
  target: "node18",
  banner: requireBanner,
  plugins: [withoutHttpClient],
  logLevel: "warning",
});

// The CLI and the worker sit side by side in dist/, where the pool finds `./workflow-worker.js` from the CLI.
const cli = build({
  entryPoints: {
    hangar: source("cli/bin.ts"),
    "workflow-worker": source("control/workflow-pool/workflow-worker.ts"),
  },
  outdir: output(""),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  banner: requireBanner,
  // Left to node_modules: a native addon, packages that start workers or read files beside their own code, and
  // pg's optional native binding.
  external: ["better-sqlite3", "piscina", "@fastify/swagger", "pg-native"],
  logLevel: "warning",
});

await Promise.all([fileAgent, cli]);
