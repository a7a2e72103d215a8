// The resolv.conf a job's containers get: the host's, without the loopback resolvers they cannot reach from their own
// network namespace, following Docker's rules (systemd-resolved's upstream list, else public resolvers).

/** Docker's fallback when the host names only loopback resolvers and systemd-resolved has no upstream list. */
const fallbackNameservers = ["8.8.8.8", "8.8.4.4"];

/**
 * `hostText` is /etc/resolv.conf; `resolvedText` /run/systemd/resolve/resolv.conf when it exists (the upstream
 * servers behind the 127.0.0.53 stub). Search and options lines are kept.
 */
export function containerResolvConf(hostText: string, resolvedText?: string): string {
  const host = withoutLoopbackResolvers(hostText);
  if (host.hasNameserver) return host.text;
  if (resolvedText !== undefined) {
    const resolved = withoutLoopbackResolvers(resolvedText);
    if (resolved.hasNameserver) return resolved.text;
  }
  return host.text + fallbackNameservers.map((address) => `nameserver ${address}\n`).join("");
}

function withoutLoopbackResolvers(text: string): { text: string; hasNameserver: boolean } {
  let hasNameserver = false;
  const kept = text.split("\n").filter((line) => {
    const address = /^\s*nameserver\s+(\S+)/.exec(line)?.[1];
    if (address === undefined) return true;
    const isLoopback = address.startsWith("127.") || address === "::1";
    hasNameserver ||= !isLoopback;
    return !isLoopback;
  });
  const joined = kept.join("\n").trimEnd();
  return { text: joined === "" ? "" : `${joined}\n`, hasNameserver };
}
