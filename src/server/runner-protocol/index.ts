// The runner protocol's public surface for the server: the plugin and its error codes.
export { runnerProtocolPlugin, type RunnerProtocolOptions } from "./runner-protocol-plugin.js";
export { runnerProtocolErrors, type RunnerProtocolErrorCode } from "./runner-protocol-error.js";
