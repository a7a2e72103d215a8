// Child process of leftover-sweep.test.ts, playing a runner in the middle of a job: a job network with a running job
// container, and a sandbox job cgroup with a sleeping member. Prints what it made as one JSON line, then waits: for
// SIGKILL (the leftovers a sweep must reclaim) or SIGTERM (tears everything down as a runner does, exits 0).
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { JobContainers } from "../../src/runner/index.js";
import { JobCgroup, findCgroupParents } from "../../src/runner/executors/sandbox/job-cgroups.js";
import { busyboxImage } from "./container-rootfs.js";

export interface OwnerMade {
  bridge: string;
  subnetIndex: number;
  crunStateDir: string;
  containersDir: string;
  containerId: string;
  cgroupDirs: string[];
  sleeperPid: number;
}

const dir = process.argv[2]!;
const containers = await JobContainers.create({ dir, network: "host" });
const started = await containers.startJobContainer({ image: await busyboxImage() }, []);
const cgroup = await JobCgroup.create(await findCgroupParents(), {});
// Its own session: killing this process leaves it running, as a job's processes outlive a crashed runner.
const sleeper = spawn("sleep", ["600"], { detached: true, stdio: "ignore" });
for (const file of cgroup.procsFiles) writeFileSync(file, String(sleeper.pid));
sleeper.unref();

process.once("SIGTERM", () => {
  void Promise.all([containers.destroy(), cgroup.remove()]).then(() => process.exit(0));
});
const made: OwnerMade = {
  bridge: containers.network.bridge,
  subnetIndex: containers.network.index,
  crunStateDir: join(dir, "crun"),
  containersDir: join(dir, "containers"),
  containerId: started.id,
  cgroupDirs: Object.values(cgroup.dirs),
  sleeperPid: sleeper.pid!,
};
process.stdout.write(`${JSON.stringify(made)}\n`);
setInterval(() => undefined, 1 << 30);
