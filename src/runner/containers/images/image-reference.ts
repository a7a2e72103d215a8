// Parses and normalises image references the way Docker does (distribution/reference): `postgres` is
// docker.io/library/postgres:latest. Hand-written because no npm package implements that grammar and its
// normalisation without also bringing a Docker client.
import { ContainerError } from "../container-error.js";

export interface ImageReference {
  /** Registry host, with port when given: `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  registry: string;
  /** Repository path inside the registry: `library/postgres`, `o/r`. */
  repository: string;
  /** Undefined only when a digest pins the image. */
  tag?: string;
  digest?: string;
  /** The normalised form: `docker.io/library/postgres:latest`, `host:5000/x@sha256:...`. */
  canonical: string;
}

export const dockerHubRegistry = "docker.io";

/** distribution/reference's grammar (reference/regexp.go). */
const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const domainPattern =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const digestPattern = /^sha256:[a-f0-9]{64}$/;
const maxNameLength = 255;

function invalid(field: string, reference: string, why: string): ContainerError {
  return new ContainerError(
    "IMAGE_INVALID_REFERENCE",
    `${field}: invalid image reference '${reference}': ${why}`,
  );
}

/** A bare `sha256:<hex>` names an image already in the local store by its manifest digest. */
export function isImageDigest(value: string): boolean {
  return digestPattern.test(value);
}

/**
 * `field` names where the reference came from (`jobs.build.container.image`, `image`), so the error
 * points the user at the right place.
 */
export function parseImageReference(input: string, field = "image"): ImageReference {
  const reference = input.startsWith("docker://") ? input.slice("docker://".length) : input;
  if (reference === "") throw invalid(field, input, "it is empty");
  if (/\s/.test(reference)) throw invalid(field, input, "it contains white space");

  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest)) {
      throw invalid(
        field,
        input,
        `the digest '${digest}' is not sha256: followed by 64 lowercase hex digits`,
      );
    }
  }

  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(":");
  if (lastColon > rest.lastIndexOf("/")) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!tagPattern.test(tag)) {
      throw invalid(
        field,
        input,
        `the tag '${tag}' must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'`,
      );
    }
  }

  const slash = rest.indexOf("/");
  const first = slash >= 0 ? rest.slice(0, slash) : "";
  // Docker's rule: the first component is a registry only if it looks like a host.
  const hasRegistry = first !== "" && (first.includes(".") || first.includes(":") || first === "localhost");
  let registry = hasRegistry ? first : dockerHubRegistry;
  let repository = hasRegistry ? rest.slice(slash + 1) : rest;
  if (hasRegistry && !domainPattern.test(registry)) {
    throw invalid(field, input, `'${registry}' is not a valid registry host`);
  }
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = dockerHubRegistry;
  if (repository === "") throw invalid(field, input, "the repository name is empty");
  if (repository !== repository.toLowerCase()) {
    throw invalid(field, input, "the repository name must be lowercase");
  }
  for (const component of repository.split("/")) {
    if (!pathComponent.test(component)) {
      throw invalid(
        field,
        input,
        `'${component}' is not a valid name component (lowercase letters and digits, separated by '.', '_', '__' or '-')`,
      );
    }
  }
  if (registry === dockerHubRegistry && !repository.includes("/")) repository = `library/${repository}`;
  const name = `${registry}/${repository}`;
  if (name.length > maxNameLength)
    throw invalid(field, input, `the name is longer than ${maxNameLength} characters`);
  if (!tag && !digest) tag = "latest";

  const canonical = `${name}${tag ? `:${tag}` : ""}${digest ? `@${digest}` : ""}`;
  return { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}), canonical };
}

/** What skopeo's docker transport accepts: it refuses a tag and a digest together, so the digest wins, as in Docker. */
export function skopeoSourceOf(reference: ImageReference): string {
  const name = `${reference.registry}/${reference.repository}`;
  return `docker://${reference.digest ? `${name}@${reference.digest}` : `${name}:${reference.tag}`}`;
}

/** The registry's host without its port, for matching against insecure registry names. */
export function registryHost(registry: string): string {
  if (registry.startsWith("[")) return registry.slice(0, registry.indexOf("]") + 1);
  const colon = registry.lastIndexOf(":");
  return colon >= 0 ? registry.slice(0, colon) : registry;
}
