// One job's container network: a bridge on a private /24, a network namespace and veth per container, /etc/hosts by name.
// Every part is in the host-wide network record before it exists, so a sweep can reclaim it if the runner dies.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { currentOwner } from "../../process-owner.js";
import { ContainerError } from "../container-error.js";
import { findTool, requireTool, runTool } from "./host-tools.js";
import { containerResolvConf } from "./container-resolv-conf.js";
import {
  claimRecord,
  enableForwarding,
  removeRecord,
  restoreForwardingIfLast,
  withNetworkRecordLock,
  writeRecord,
  type NetworkRecord,
} from "./network-registry.js";

/** Jobs get 10.213.<index>.0/24; the record file and the bridge are named for the index, which claims the subnet. */
const subnetPrefix = "10.213";
const maxSubnetIndex = 254;
const firstContainerHost = 2;

export interface NetworkAddress {
  name: string;
  ip: string;
  /** The namespace file crun joins. */
  namespacePath: string;
}

export interface JobNetworkOptions {
  /** Holds the hosts and resolv.conf files every container of the job mounts. */
  dir: string;
  /**
   * Whether the host has an address on the bridge (needed to publish ports on 127.0.0.1) and containers may go
   * out through NAT. False: the containers reach only each other.
   */
  hasHostLink: boolean;
  /** The job's crun state dir and the dir its containers keep theirs in: reclaimed with the network after a crash. */
  containers: { crunStateDir: string; dir: string };
}

export class JobNetwork {
  readonly hostsFile: string;
  readonly resolvConfFile: string;
  private readonly names = new Map<string, { ip: string; aliases: string[] }>();
  private nextHost = firstContainerHost;
  private isDestroyed = false;

  private constructor(
    private readonly ip: string,
    readonly index: number,
    readonly options: JobNetworkOptions,
    private readonly record: NetworkRecord,
  ) {
    this.hostsFile = join(options.dir, "hosts");
    this.resolvConfFile = join(options.dir, "resolv.conf");
  }

  get bridge(): string {
    return `hangar-br${this.index}`;
  }

  /** The host's address on the bridge, when it has one: published ports forward to containers through it. */
  get gateway(): string | undefined {
    return this.options.hasHostLink ? `${subnetPrefix}.${this.index}.1` : undefined;
  }

  static async create(options: JobNetworkOptions): Promise<JobNetwork> {
    const ip = requireTool("ip");
    await mkdir(options.dir, { recursive: true });
    const claimed = await withNetworkRecordLock(() => claimSubnet(ip, options)).catch((error: unknown) => {
      if (error instanceof ContainerError) throw error;
      throw new ContainerError(
        "CONTAINER_NETWORK_FAILED",
        `cannot record the job network on this host: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    });
    const network = new JobNetwork(ip, claimed.index, options, claimed.record);
    try {
      await network.setUpBridge();
    } catch (error) {
      await network.destroy();
      throw error;
    }
    return network;
  }

  /** Gives a name (and aliases) an address now, so every container's /etc/hosts knows it before anything starts. */
  async reserve(name: string, aliases: string[] = []): Promise<string> {
    if (this.names.has(name)) throw new ContainerError("CONTAINER_NETWORK_FAILED", `name '${name}' is taken`);
    if (this.nextHost > 254) throw new ContainerError("CONTAINER_NETWORK_FAILED", "the job network is full");
    const ip = `${subnetPrefix}.${this.index}.${this.nextHost++}`;
    this.names.set(name, { ip, aliases });
    await this.writeHostsFile();
    return ip;
  }

  /** Creates the container's namespace with its end of a veth pair on the bridge. */
  async attach(name: string): Promise<NetworkAddress> {
    const entry = this.names.get(name);
    if (!entry) throw new ContainerError("CONTAINER_NETWORK_FAILED", `name '${name}' was not reserved`);
    const host = entry.ip.split(".")[3];
    const namespace = `hangar-${this.index}-${host}`;
    const hostEnd = `hgv${this.index}-${host}`;
    this.record.netns.push(namespace);
    await writeRecord(this.index, this.record);
    await this.ipCommand(["netns", "add", namespace]);
    await this.ipCommand([
      "link",
      "add",
      hostEnd,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      namespace,
    ]);
    await this.ipCommand(["link", "set", hostEnd, "master", this.bridge, "up"]);
    const inside = (args: string[]) => this.ipCommand(["-n", namespace, ...args]);
    await inside(["link", "set", "lo", "up"]);
    await inside(["addr", "add", `${entry.ip}/24`, "dev", "eth0"]);
    await inside(["link", "set", "eth0", "up"]);
    if (this.gateway) await inside(["route", "add", "default", "via", this.gateway]);
    return { name, ip: entry.ip, namespacePath: `/run/netns/${namespace}` };
  }

  /**
   * Removes every namespace (their veths go with them), the NAT rules and the bridge, then the record; safe to call
   * twice. When a part cannot be removed the record stays, for the sweep after this runner is gone.
   */
  async destroy(): Promise<void> {
    if (this.isDestroyed) return;
    const failures = await removeNetworkParts(this.ip, this.record);
    if (failures.length > 0) throw failures[0];
    this.isDestroyed = true;
    await withNetworkRecordLock(async () => {
      await removeRecord(this.index);
      await restoreForwardingIfLast();
    });
  }

  private async setUpBridge(): Promise<void> {
    if (this.gateway) await this.ipCommand(["addr", "add", `${this.gateway}/24`, "dev", this.bridge]);
    await this.ipCommand(["link", "set", this.bridge, "up"]);
    await this.writeHostsFile();
    const readOrNothing = (file: string) => readFile(file, "utf8").catch(() => undefined);
    const hostText = (await readOrNothing("/etc/resolv.conf")) ?? "";
    const resolvedText = await readOrNothing("/run/systemd/resolve/resolv.conf");
    await writeFile(this.resolvConfFile, containerResolvConf(hostText, resolvedText));
    if (this.gateway) await this.enableOutbound();
  }

  /**
   * Outbound traffic is masqueraded like Docker's default bridge. Without iptables the containers still reach
   * each other and the host's published ports work; they just get no route beyond the host.
   */
  private async enableOutbound(): Promise<void> {
    const iptables = findTool("iptables");
    if (!iptables) return;
    const subnet = `${subnetPrefix}.${this.index}.0/24`;
    const rules = [
      ["POSTROUTING", "-t", "nat", "-s", subnet, "!", "-o", this.bridge, "-j", "MASQUERADE"],
      ["FORWARD", "-i", this.bridge, "-j", "ACCEPT"],
      ["FORWARD", "-o", this.bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"],
    ];
    for (const rule of rules) {
      const [chain, ...rest] = rule;
      this.record.natRules.push(rule);
      await writeRecord(this.index, this.record);
      await runTool(iptables, ["-I", chain, ...rest], "CONTAINER_NETWORK_FAILED");
    }
    await withNetworkRecordLock(enableForwarding);
  }

  /** Rewritten in place (same inode), so containers that already mount it see later names too. */
  private async writeHostsFile(): Promise<void> {
    const lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"];
    for (const [name, entry] of this.names) lines.push(`${entry.ip}\t${[name, ...entry.aliases].join(" ")}`);
    await writeFile(this.hostsFile, `${lines.join("\n")}\n`);
  }

  private async ipCommand(args: string[]): Promise<void> {
    await runTool(this.ip, args, "CONTAINER_NETWORK_FAILED");
  }
}

/**
 * Under the record lock: the first free index whose bridge we could create. The record comes first, so a crash
 * between the two leaves a record for the sweep rather than an unowned bridge.
 */
async function claimSubnet(
  ip: string,
  options: JobNetworkOptions,
): Promise<{ index: number; record: NetworkRecord }> {
  const start = 1 + Math.floor(Math.random() * maxSubnetIndex);
  for (let attempt = 0; attempt < maxSubnetIndex; attempt++) {
    const index = 1 + ((start + attempt) % maxSubnetIndex);
    const record: NetworkRecord = {
      ...currentOwner(),
      createdAt: new Date().toISOString(),
      bridge: `hangar-br${index}`,
      netns: [],
      natRules: [],
      crunStateDir: options.containers.crunStateDir,
      containersDir: options.containers.dir,
    };
    if (!(await claimRecord(index, record))) continue;
    const created = await runTool(
      ip,
      ["link", "add", "name", record.bridge, "type", "bridge"],
      "CONTAINER_NETWORK_FAILED",
    ).then(
      () => true,
      () => false,
    );
    if (created) return { index, record };
    // A bridge of that name that no record owns: not ours to touch.
    await removeRecord(index);
  }
  throw new ContainerError(
    "CONTAINER_NETWORK_FAILED",
    `no free job subnet in ${subnetPrefix}.0.0/16 (every hangar-br<N> bridge exists)`,
  );
}

/**
 * Removes what of a job network exists (namespaces with their veths, NAT rules, then the bridge) and returns what
 * failed; parts already gone are no failure.
 */
export async function removeNetworkParts(
  ip: string,
  parts: Pick<NetworkRecord, "netns" | "natRules" | "bridge">,
): Promise<unknown[]> {
  const failures: unknown[] = [];
  const { stdout } = await runTool(ip, ["netns", "list"], "CONTAINER_NETWORK_FAILED");
  const existing = new Set(stdout.split("\n").map((line) => line.split(" ")[0]));
  for (const namespace of parts.netns) {
    if (!existing.has(namespace)) continue;
    await runTool(ip, ["netns", "delete", namespace], "CONTAINER_NETWORK_FAILED").catch((error: unknown) =>
      failures.push(error),
    );
  }
  const iptables = findTool("iptables");
  for (const rule of parts.natRules) {
    // -D fails only for a rule that is not there (a runner that died before inserting it): nothing to remove.
    if (iptables) await runTool(iptables, ["-D", ...rule], "CONTAINER_NETWORK_FAILED").catch(() => undefined);
  }
  const hasBridge = await runTool(ip, ["link", "show", "dev", parts.bridge], "CONTAINER_NETWORK_FAILED").then(
    () => true,
    () => false,
  );
  if (hasBridge) {
    await runTool(ip, ["link", "delete", parts.bridge], "CONTAINER_NETWORK_FAILED").catch((error: unknown) =>
      failures.push(error),
    );
  }
  return failures;
}
