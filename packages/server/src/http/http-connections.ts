/**
 * The HTTP connections of the server, for a shutdown that does not wait for browsers.
 *
 * `server.close()` only stops accepting; Node closes the keep-alive connections that are idle at
 * that moment, but not those a browser opened ahead of time without sending a request yet
 * (pre-connects), nor those that become idle later: they keep the process alive until the
 * keep-alive timeout (72 s in Fastify). Here the idle and never-used ones are closed as soon as the
 * sockets got their 1001, and at the end of the grace period whatever is left is dropped.
 * Upgraded sockets belong to the WebSocket gateway and are left alone.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface HttpConnections {
  /** Closes every connection without a request in progress: idle keep-alive ones and never-used ones. */
  closeIdle(): void;
  /**
   * Waits for requests in progress until `deadline` (epoch ms), closing each connection once it
   * is idle, then drops every connection still open.
   */
  closeAll(deadline: number): Promise<void>;
}

const POLL_MS = 50;

export function trackHttpConnections(server: Server): HttpConnections {
  const open = new Set<Socket>();
  const used = new WeakSet<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  server.on('request', (request) => used.add(request.socket as Socket));
  server.on('upgrade', (request) => open.delete(request.socket as Socket));

  function closeIdle(): void {
    server.closeIdleConnections();
    for (const socket of open) if (!used.has(socket)) socket.destroy();
  }

  return {
    closeIdle,
    async closeAll(deadline) {
      closeIdle();
      while (open.size > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(1, deadline - Date.now()))));
        closeIdle();
      }
      server.closeAllConnections();
      for (const socket of open) socket.destroy();
    },
  };
}
