// Import boundaries from STYLE.md: data flows workflow -> engine -> runner, store beneath, the control plane over them,
// edges (HTTP server, CLI, integrations) outside.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "contracts-is-a-leaf",
      comment: "the shared vocabulary imports nothing of ours",
      severity: "error",
      from: { path: "^src/contracts/" },
      to: { path: "^src/", pathNot: "^src/contracts/" },
    },
    {
      name: "workflow-is-pure",
      severity: "error",
      from: { path: "^src/workflow/" },
      to: { path: "^src/(engine|runner|store|control|server|cli|integrations)/" },
    },
    {
      name: "runner-imports-only-workflow",
      severity: "error",
      from: { path: "^src/runner/" },
      to: { path: "^src/(engine|store|control|server|cli|integrations)/" },
    },
    {
      name: "engine-not-edges",
      severity: "error",
      from: { path: "^src/engine/" },
      to: { path: "^src/(control|server|cli|integrations)/" },
    },
    {
      name: "store-imports-nothing",
      severity: "error",
      from: { path: "^src/store/" },
      to: { path: "^src/(workflow|engine|runner|control|server|cli|integrations)/" },
    },
    {
      name: "control-has-no-http",
      comment: "the control plane is driven by the HTTP server and the CLI, and knows neither",
      severity: "error",
      from: { path: "^src/control/" },
      to: { path: "^src/(server|cli)/" },
    },
    {
      name: "only-public-surfaces",
      comment: "another module is reached only through its index.ts",
      severity: "error",
      from: { path: "^src/([^/]+)/" },
      to: {
        path: "^src/([^/]+)/.+",
        pathNot: ["^src/$1/", "^src/[^/]+/index\\.ts$", "^src/integrations/[^/]+/index\\.ts$"],
      },
    },
    { name: "no-cycles", severity: "error", from: { path: "^src/" }, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
  },
};
