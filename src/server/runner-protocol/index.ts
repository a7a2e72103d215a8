// The runner protocol's public surface for the server: the plugin, the lease sweeper and job wake-ups.
export { runnerProtocolPlugin, type RunnerProtocolOptions } from "./runner-protocol-plugin.js";
export {
  startLeaseSweeper,
  type LeaseSweeper,
  type LeaseSweeperOptions,
  type RunnerLostPolicy,
} from "./lease-sweeper.js";
export { JobActivity } from "./job-activity.js";
export { runnerProtocolErrors, type RunnerProtocolErrorCode } from "./runner-protocol-error.js";
