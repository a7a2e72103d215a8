// Access control's surface for the rest of the server: the plugin, the role check and the approval scope check.
export {
  accessControlErrors,
  accessControlPlugin,
  type AccessControlOptions,
  type RegisteredRoute,
  type RouteAccess,
  type RouteAuthKind,
} from "./access-control-plugin.js";
export { canApprove, type Principal } from "../../control/index.js";
