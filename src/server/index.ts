// The server's public surface for the CLI.
export { startServer, type RunningServer, type ServerConfig } from "./server.js";
