// The environment a container's processes start from: Docker's default PATH, the image's env, then ours.

/** The PATH Docker gives a process when the image sets none. */
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Image env first, later layers win. */
export function buildEnvironment(
  imageEnv: string[],
  ...layers: Array<Record<string, string>>
): Record<string, string> {
  const env: Record<string, string> = { PATH: defaultPath };
  for (const entry of imageEnv) {
    const equals = entry.indexOf("=");
    if (equals > 0) env[entry.slice(0, equals)] = entry.slice(equals + 1);
  }
  for (const layer of layers) Object.assign(env, layer);
  return env;
}

export function toEnvList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([name, value]) => `${name}=${value}`);
}
