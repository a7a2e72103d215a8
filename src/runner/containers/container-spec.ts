// `jobs.<id>.container` and `jobs.<id>.services.<name>` after evaluation, read into typed specs. Pure: the evaluated
// value in, a spec or an error naming the field out (docs: "Running jobs in a container", "About service containers").
import { toDisplayString, type ExpressionValue } from "../../workflow/index.js";

export interface RegistryLogin {
  username: string;
  password: string;
}

export interface ContainerSpec {
  /** As written (`node:20`, `docker://ghcr.io/o/i:tag` without the scheme). */
  image: string;
  env: Record<string, string>;
  /** `ports:` entries as written: `5432`, `8080:80`, `127.0.0.1:8080:80/tcp`. */
  ports: string[];
  /** `volumes:` entries: `name:/path`, `/host/path:/path[:ro]`, or `/path` (an anonymous volume). */
  volumes: string[];
  /** `options:` as one string of `docker create` flags; the runtime accepts a subset and names the rest. */
  options: string;
  credentials?: RegistryLogin;
}

/** A spec problem, naming the field as the workflow spells it (`jobs.build.services.db.ports[1]`). */
export class ContainerSpecError extends Error {}

const containerKeys = new Set(["image", "env", "ports", "volumes", "options", "credentials"]);

/**
 * The job's container, or undefined when it has none. An empty image (`container: ${{ matrix.image }}` with an empty
 * value) runs the job on the runner itself, as GitHub does.
 */
export function readJobContainer(
  value: ExpressionValue | undefined,
  field: string,
): ContainerSpec | undefined {
  if (value === undefined || value === null) return undefined;
  const spec = readContainer(value, field);
  return spec.image === "" ? undefined : spec;
}

/** Service containers by id; a service whose image evaluates to an empty string is not started (GitHub's rule). */
export function readServices(value: ExpressionValue | undefined, field: string): Map<string, ContainerSpec> {
  const services = new Map<string, ContainerSpec>();
  if (value === undefined || value === null) return services;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new ContainerSpecError(`${field}: expected a mapping of service names to containers`);
  }
  for (const [id, entry] of Object.entries(value)) {
    const spec = readContainer(entry, `${field}.${id}`);
    if (spec.image !== "") services.set(id, spec);
  }
  return services;
}

function readContainer(value: ExpressionValue, field: string): ContainerSpec {
  if (typeof value === "string")
    return { image: stripScheme(value.trim()), env: {}, ports: [], volumes: [], options: "" };
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ContainerSpecError(`${field}: expected an image name or a mapping with 'image'`);
  }
  for (const key of Object.keys(value)) {
    if (!containerKeys.has(key)) throw new ContainerSpecError(`${field}: unknown key '${key}'`);
  }
  const image = value["image"];
  if (image === undefined || image === null) throw new ContainerSpecError(`${field}.image: required`);
  if (typeof image !== "string") throw new ContainerSpecError(`${field}.image: expected a string`);
  const spec: ContainerSpec = {
    image: stripScheme(image.trim()),
    env: readEnv(value["env"], `${field}.env`),
    ports: readList(value["ports"], `${field}.ports`),
    volumes: readList(value["volumes"], `${field}.volumes`),
    options: readOptionalString(value["options"], `${field}.options`),
  };
  const credentials = readCredentials(value["credentials"], `${field}.credentials`);
  if (credentials) spec.credentials = credentials;
  return spec;
}

function stripScheme(image: string): string {
  return image.startsWith("docker://") ? image.slice("docker://".length) : image;
}

function readEnv(value: ExpressionValue | undefined, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw new ContainerSpecError(`${field}: expected a mapping`);
  return Object.fromEntries(Object.entries(value).map(([name, entry]) => [name, toDisplayString(entry)]));
}

function readList(value: ExpressionValue | undefined, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ContainerSpecError(`${field}: expected a list`);
  return value.map((entry, index) => {
    if (typeof entry !== "string" && typeof entry !== "number") {
      throw new ContainerSpecError(`${field}[${index}]: expected a string or a number`);
    }
    return String(entry).trim();
  });
}

function readOptionalString(value: ExpressionValue | undefined, field: string): string {
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") throw new ContainerSpecError(`${field}: expected a string`);
  return value.trim();
}

function readCredentials(value: ExpressionValue | undefined, field: string): RegistryLogin | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value))
    throw new ContainerSpecError(`${field}: expected a mapping`);
  const username = value["username"];
  const password = value["password"];
  if (typeof username !== "string" || username === "") {
    throw new ContainerSpecError(`${field}.username: required with credentials`);
  }
  if (typeof password !== "string" || password === "") {
    throw new ContainerSpecError(`${field}.password: required with credentials`);
  }
  return { username, password };
}
