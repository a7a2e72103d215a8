// `hangar approve RUN`: approve or reject a run's jobs waiting at environments' gates, through the server's API, so
// the API token says who decides.
import { parseArgs } from "node:util";
import { ExitCode, UsageError } from "../exit-codes.js";

export const approveUsage = `Usage: hangar approve RUN [--job J]... [--env ENV] [--comment C] [--reject] [--bypass]
                      [--url URL] [--token TOKEN]

Approves (or with --reject rejects) the run's jobs waiting for approval: all of them, or the jobs (id or key) and
environment named. The token must be an approver's for the environment, or an admin's; an admin may --bypass
the environment's rules (recorded as a bypass). Prints the decisions recorded.

Options:
  --url URL        the server (default: $HANGAR_URL)
  --token TOKEN    an API token (default: $HANGAR_TOKEN)
  --json           the decisions as JSON
`;

export async function approveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      job: { type: "string", multiple: true },
      env: { type: "string" },
      comment: { type: "string" },
      reject: { type: "boolean" },
      bypass: { type: "boolean" },
      url: { type: "string" },
      token: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(approveUsage);
    return ExitCode.Success;
  }
  const [run] = positionals;
  if (!run || !/^\d+$/.test(run))
    throw new UsageError(`expected 'approve RUN' with a run id\n\n${approveUsage}`);
  const url = values.url ?? process.env["HANGAR_URL"];
  const token = values.token ?? process.env["HANGAR_TOKEN"];
  if (!url) throw new UsageError("--url or $HANGAR_URL is required");
  if (!token) throw new UsageError("--token or $HANGAR_TOKEN is required");
  if (values.reject && values.bypass) throw new UsageError("--reject and --bypass exclude each other");
  const body = {
    decision: values.reject ? "rejected" : "approved",
    ...(values.job ? { jobs: values.job } : {}),
    ...(values.env ? { environment: values.env } : {}),
    ...(values.comment !== undefined ? { comment: values.comment } : {}),
    ...(values.bypass ? { bypass: true } : {}),
  };
  const response = await fetch(new URL(`/api/runs/${run}/approvals`, url), {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = (await response.json().catch(() => ({}))) as {
    approvals?: { jobKey: string; environment: string; decision: string; actor: string }[];
    code?: string;
    message?: string;
  };
  if (!response.ok) {
    process.stderr.write(
      `hangar approve: ${answer.code ?? response.status}: ${answer.message ?? response.statusText}\n`,
    );
    return ExitCode.JobFailed;
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return ExitCode.Success;
  }
  for (const approval of answer.approvals ?? [])
    process.stdout.write(
      `${approval.decision} ${approval.jobKey} (${approval.environment}) by ${approval.actor}\n`,
    );
  return ExitCode.Success;
}
