// The limits an untrusted workflow or action file is read within, in one table; checked before anything is expanded.

/**
 * Contract: WF_TOO_LARGE and WF_TOO_COMPLEX name the limit a file passed. Depth is that of GitHub's own template
 * parser (actions/runner ParseOptions.MaxDepth 50); GitHub documents no size for workflow files and its parser takes
 * 1 MiB, half of which is still five times the size of large real workflows. Nodes bound the time a read takes,
 * aliases expanded: the 200-job workflow of test/workflow/workflow-limits.test.ts is 8,609, a 512 KiB file of block
 * YAML about 26,000, a 9×10 alias bomb a billion; 50,000 nodes read in 1.2 to 2.5 s on a loaded 2-core machine.
 * Time and memory hold where a thread can be ended: in the server's workflow pool, which reads and plans each file.
 */
export const workflowLimits = {
  /** Bytes of UTF-8 in one file. */
  maxFileBytes: 512 * 1024,
  /** Mappings and sequences inside each other, once aliases are expanded. */
  maxDepth: 50,
  /** Scalars, keys, mappings and sequences, once aliases are expanded. */
  maxNodes: 50_000,
  /** Reading and planning one file in a worker of the server's workflow pool. */
  timeLimitMs: 10_000,
  /** The heap of one such worker. */
  memoryLimitMb: 512,
} as const;
