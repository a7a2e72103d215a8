// Bundles the file agent (src/runner/job-files/file-agent/main.ts) with @actions/glob into one file a job's node runs
// without hangar's node_modules: sandboxes, microVMs and containers see only the job's own directories.
import { build } from "esbuild";

const fileAgentBundle = new URL("../dist/file-agent.mjs", import.meta.url);

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

await build({
  entryPoints: [new URL("../src/runner/job-files/file-agent/main.ts", import.meta.url).pathname],
  outfile: fileAgentBundle.pathname,
  bundle: true,
  platform: "node",
  format: "esm",
  // A microVM guest may run Debian's own nodejs (18) when the runner's node cannot be shared into it.
  target: "node18",
  // @actions/core still require()s node's modules in places; an ES module has no require of its own.
  banner: {
    js: 'import { createRequire as hangarRequire } from "node:module"; const require = hangarRequire(import.meta.url);',
  },
  plugins: [withoutHttpClient],
  logLevel: "warning",
});
