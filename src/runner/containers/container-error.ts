// Faults of the container runtime and image store (crun, overlay, network, registry): thrown, never a user's step failure.
import { HangarError } from "../hangar-error.js";

/** Contract: codes never change meaning; messages may improve. */
export const containerErrorCodes = {
  CONTAINER_RUNTIME_UNAVAILABLE:
    "a program the container runtime needs (crun, ip, busybox-static) is missing",
  CONTAINER_START_FAILED: "a container could not be created or started",
  CONTAINER_NETWORK_FAILED: "the job's container network could not be set up",
  CONTAINER_BAD_OPTION: "a container or service option is invalid or not supported",
  CONTAINER_HEALTH_CHECK_FAILED: "a service container never became healthy",
  CONTAINER_PORT_UNAVAILABLE: "a service port could not be published on the host",
  IMAGE_INVALID_REFERENCE: "an image reference is not a valid registry reference",
  IMAGE_NOT_FOUND: "the registry has no such image or tag (manifest unknown)",
  IMAGE_NOT_IN_STORE: "the local image store holds no image with this reference or digest",
  IMAGE_IN_USE: "the image is used by a running job and cannot be removed",
  IMAGE_PULL_FAILED: "skopeo could not copy the image for another reason",
  IMAGE_IMPORT_FAILED: "an OCI layout or docker save tarball could not be imported",
  IMAGE_UNPACK_FAILED: "umoci could not unpack the image, or its manifest or config is malformed",
  IMAGE_TOOL_MISSING: "skopeo or umoci, which the image store needs, is not installed",
  REGISTRY_UNREACHABLE: "the registry host could not be reached (connection refused, unknown host, TLS)",
  REGISTRY_UNAUTHORIZED: "the registry refused the credentials, or needs some and none were given",
} as const;

export type ContainerErrorCode = keyof typeof containerErrorCodes;

export class ContainerError extends HangarError<ContainerErrorCode> {}
