// Publishes a container's TCP port on the host's loopback.
// No library: a net.Server piping each connection to the container's address is all Docker's userland proxy does.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { ContainerError } from "../container-error.js";

export interface PortForwarder {
  hostPort: number;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1:hostPort (0: a free port) and forwards to target:targetPort. */
export async function forwardPort(
  hostPort: number,
  target: string,
  targetPort: number,
): Promise<PortForwarder> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target, port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) =>
      reject(
        new ContainerError(
          "CONTAINER_PORT_UNAVAILABLE",
          `cannot listen on 127.0.0.1:${hostPort}: ${error.message}`,
          {
            cause: error,
          },
        ),
      ),
    );
    server.listen(hostPort, "127.0.0.1", resolve);
  });
  const address = server.address();
  return {
    hostPort: typeof address === "object" && address ? address.port : hostPort,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
