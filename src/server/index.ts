// The server's public surface for the CLI.
export { startServer, type RunningServer, type ServerConfig } from "./server.js";
export {
  normalizeValueName,
  rotateSecretKey,
  SecretError,
  SecretKeyring,
  setSecret,
  setVariable,
} from "../control/index.js";
