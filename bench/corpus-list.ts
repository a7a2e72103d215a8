// The corpus: public repositories whose workflows `bench/corpus.ts` runs, each pinned to a commit. Names and SHAs only.

export interface CorpusEntry {
  /** owner/name on GitHub. */
  repo: string;
  commit: string;
  /** Why it is in the corpus: the kind of workflow it brings. */
  why: string;
}

export const corpus: CorpusEntry[] = [
  {
    repo: "expressjs/express",
    commit: "a3714473feb3d2908add734d340e7755fd85e0a3",
    why: "Node library: node-version x os matrix, npm install, coverage job with needs, CodeQL, Scorecard",
  },
  {
    repo: "sindresorhus/ky",
    commit: "3419113b48e034fdcf8fa6bd3be3da7b3d0d758f",
    why: "Node library on macos-latest only, node-version matrix",
  },
  {
    repo: "chalk/chalk",
    commit: "678e5505458d0cf40134e205aed4454e0eeac45c",
    why: "smallest Node matrix: one job, node-version list, npm install && npm test",
  },
  {
    repo: "axios/axios",
    commit: "23a25af0688d1db2c396deb09229d2271cc24f6c",
    why: "Node library on a non-main default branch (v1.x), npm ci matrix, pull_request-only dependency review",
  },
  {
    repo: "fastify/fastify",
    commit: "83e69762aff047940b376fc2a266d143499ef727",
    why: "reusable workflows, local and remote (fastify/workflows pinned by SHA), pnpm/yarn, alternative runtimes",
  },
  {
    repo: "psf/requests",
    commit: "1f6589ec3a1ee910f9a65cc3ceac60b26677bc0e",
    why: "Python library: python-version x os matrix, pip install, tag-only publish",
  },
  {
    repo: "pallets/click",
    commit: "2c8cd3ac958a7eb316d67f2d316c27086c4c0369",
    why: "Python with uv (astral-sh/setup-uv), matrix entries with optional os, pre-commit",
  },
  {
    repo: "pallets/flask",
    commit: "2ac89889f4cc330eabd50f295dcef02828522c69",
    why: "Python with uv and tox (astral-sh/setup-uv), pre-commit, artifact-passing publish",
  },
  {
    repo: "python-attrs/attrs",
    commit: "c1dc5dcba16ed827aa6dcad896b41a3afedb4e32",
    why: "Python: build-once artifact shared by matrix jobs, pypy legs, required-checks job (alls-green)",
  },
  {
    repo: "encode/httpx",
    commit: "ae1b9f66238f75ced3ced5e4485408435de10768",
    why: "Python: python-version matrix, scripts/ shell entry points",
  },
  {
    repo: "actions/setup-node",
    commit: "ae0d4ed08881f17d1511386f5be3e62356acd4a6",
    why: "TypeScript action: calls actions/reusable-workflows, runs itself (uses: ./) across versions",
  },
  {
    repo: "actions/checkout",
    commit: "f548e57e544e1ff5a4c46bf1e1b8685f8e4a348a",
    why: "TypeScript action testing itself with uses: ./, job container, proxy service",
  },
  {
    repo: "actions/typescript-action",
    commit: "dab346a2233b2b9e10b31ca3909acb659a493f65",
    why: "GitHub's TypeScript action template: check-dist, test, lint (super-linter), uses: ./",
  },
  {
    repo: "actions/javascript-action",
    commit: "834979bfe767f36613c0c18bffe72611ace76e2c",
    why: "GitHub's JavaScript action template: same shape as the TypeScript one",
  },
  {
    repo: "actions/starter-workflows",
    commit: "1035244887e26fbbd4f1017d919fb5995cc521c4",
    why: "GitHub's starter-workflow repository: validation scripts, issue/PR automation",
  },
  {
    repo: "actions/reusable-workflows",
    commit: "1e97bade5ca12552a4d14d19ef769e9667ad73c4",
    why: "the reusable workflows actions/* call (workflow_call only; exercised through actions/setup-node)",
  },
  {
    repo: "nvm-sh/nvm",
    commit: "b17550a0b9ab691439815dfccc8b73e3a59fa103",
    why: "shell project: many workflows, matrices computed by a job (fromJSON of needs outputs), shellcheck",
  },
  {
    repo: "bats-core/bats-core",
    commit: "d22e41faad59f5fd942a88c992b4913a27a460c4",
    why: "shell project: bash/bats tests on linux, macos, windows, shfmt, shellcheck, npm",
  },
  {
    repo: "tj/commander.js",
    commit: "ba6d13ddb4243e5913367734f8c159089ffe7834",
    why: "Node library: node-version x os matrix, npm ci",
  },
  {
    repo: "spf13/cobra",
    commit: "adbc8813901bba65827259daa8e22ff94ec1f30e",
    why: "Go library: actions/setup-go matrix, golangci-lint action",
  },
  {
    repo: "pypa/sampleproject",
    commit: "621e4974ca25ce531773def586ba3ed8e736b3fc",
    why: "the Python packaging sample: nox over a python x platform matrix (linux, macos, windows)",
  },
];
