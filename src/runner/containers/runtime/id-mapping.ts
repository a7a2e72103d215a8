// The one id range every container's user namespace maps to, shared by the image store (which unpacks images
// shifted into it) and the runtime (which maps container root onto it); nothing else picks host ids for containers.

/** Container ids 0..size-1 are host ids hostId..hostId+size-1. */
export interface IdMap {
  hostId: number;
  size: number;
}

/**
 * Far above the sandbox executor's 200000+ job uids, and above any uid a distribution hands out, so no host user
 * owns a container's files. 65536 ids cover every id images use in practice (nobody is 65534).
 */
export const containerIdMap: IdMap = { hostId: 300_000_000, size: 65_536 };

/** Absent means the image keeps its own ids (unpacked without a user namespace in mind). */
export function isSameIdMap(a: IdMap | null | undefined, b: IdMap | null | undefined): boolean {
  return (a?.hostId ?? null) === (b?.hostId ?? null) && (a?.size ?? null) === (b?.size ?? null);
}

export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/** The OCI spec's linux.uidMappings/gidMappings. */
export function ociIdMappings(map: IdMap): OciIdMapping[] {
  return [{ containerID: 0, hostID: map.hostId, size: map.size }];
}

/**
 * An idmapped bind mount's uidMappings or gidMappings (crun: containerID is the id on disk): on-disk ids show as
 * the same container ids. A source owned by an id beyond the range (a sandbox job's dirs, uid 200000+) shows as the
 * last container id instead of nobody, so container root may still write it: its DAC override covers mapped owners only.
 */
export function mountIdMappings(map: IdMap, sourceOwner: number): OciIdMapping[] {
  if (sourceOwner < map.size) return ociIdMappings(map);
  return [
    { containerID: 0, hostID: map.hostId, size: map.size - 1 },
    { containerID: sourceOwner, hostID: map.hostId + map.size - 1, size: 1 },
  ];
}

/** umoci's `--uid-map`/`--gid-map` (container:host:size). */
export function umociIdMapArgs(map: IdMap): string[] {
  const mapping = `0:${map.hostId}:${map.size}`;
  return ["--uid-map", mapping, "--gid-map", mapping];
}
