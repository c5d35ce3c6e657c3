/**
 * The WebSocket endpoint `/api/v1/ws/chat`, on the HTTP server's 'upgrade' event with `ws` in
 * noServer mode. Every upgrade on the path is accepted (the handshake state machine in
 * client-connection.ts then decides, so a client always learns why with a close code). One timer
 * drives the heartbeat of all connections, a slice of them per tick (see HeartbeatSlots);
 * shutdown closes every socket with 1001. A handshake without a visitor session gets one in the
 * session cookie of its 101 answer (see UpgradeInfo.issuedSessionId).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CLOSE_CODES, WS_PATH } from '@miptech/protocol';
import { proxyTrustOf, requestProtocol } from '../transport/client-address.ts';
import type { PlatformServices } from '../transport/platform-services.ts';
import { sessionCookieHeader } from '../transport/visitor-session-cookie.ts';
import { redactUrl } from '../base/logger.ts';
import { ChatRooms } from './chat-rooms.ts';
import { ClientConnection, readUpgradeInfo } from './client-connection.ts';
import { HeartbeatSlots } from './heartbeat-slots.ts';

/**
 * How far above WS_MAX_FRAME_BYTES ws itself still reads a frame: up to there a too large frame gets
 * our `message_too_large` error frame and the socket stays open; above it ws closes with 1009
 * without buffering the rest.
 */
const FRAME_HEADROOM_BYTES = 4 * 1024 * 1024;
export interface WsGateway {
  readonly connectionCount: number;
  /** Connections that joined a chat (counted when asked: for the metrics scrape, not per frame). */
  readonly joinedCount: number;
  /** Closes every socket with 1001 and waits (bounded) until they are gone. */
  closeAll(timeoutMs?: number): Promise<void>;
  /** Stops the heartbeat and detaches from the server. */
  stop(): void;
}

function refuse(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export function attachWsGateway(server: Server, services: PlatformServices): WsGateway {
  const maxPayload = services.config.wsMaxFrameBytes + FRAME_HEADROOM_BYTES;
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload, clientTracking: false });
  const trust = proxyTrustOf(services.config);
  /** Set-Cookie of a handshake that is issued a session, read by the 'headers' event of the same handshake. */
  const issuedCookies = new WeakMap<IncomingMessage, string>();
  wss.on('headers', (headers, request) => {
    const cookie = issuedCookies.get(request);
    if (cookie) headers.push(`Set-Cookie: ${cookie}`);
  });
  const rooms = new ChatRooms(services.eventLog);
  const connections = new Set<ClientConnection>();
  const heartbeats = new HeartbeatSlots<ClientConnection>(services.config.wsHeartbeatIntervalMs);
  const closedWaiters = new Set<() => void>();

  const context = {
    services,
    rooms,
    onClosed(connection: ClientConnection) {
      connections.delete(connection);
      heartbeats.remove(connection);
      if (connections.size === 0) for (const waiter of closedWaiters) waiter();
    },
  };

  function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (request.url ?? '/').split('?')[0]!;
    if (path !== WS_PATH && path !== `${WS_PATH}/`) return refuse(socket, '404 Not Found');
    if (services.lifecycle.shuttingDown) return refuse(socket, '503 Service Unavailable');
    socket.on('error', () => socket.destroy());
    services.logger.debug({ url: redactUrl(request.url ?? '/') }, 'websocket upgrade');
    const info = readUpgradeInfo(request, trust);
    if (info.issuedSessionId && info.tenantId) {
      issuedCookies.set(request, sessionCookieHeader(info.tenantId, info.issuedSessionId, requestProtocol(request, trust) === 'https'));
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = new ClientConnection(ws, info, context);
      connections.add(connection);
      heartbeats.add(connection);
      connection.start();
    });
  }
  server.on('upgrade', onUpgrade);

  const { clock } = services;
  const heartbeat = clock.setInterval(() => heartbeats.tick(clock.now()), heartbeats.tickMs);
  heartbeat.unref();

  return {
    get connectionCount() {
      return connections.size;
    },
    get joinedCount() {
      let joined = 0;
      for (const connection of connections) if (connection.isJoined) joined += 1;
      return joined;
    },
    async closeAll(timeoutMs = 3000) {
      for (const connection of connections) connection.close(CLOSE_CODES.goingAway, 'Server restarting');
      if (connections.size === 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          closedWaiters.delete(done);
          resolve();
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          closedWaiters.delete(done);
          resolve();
        };
        closedWaiters.add(done);
      });
      // Clients that never completed the close handshake.
      for (const connection of connections) connection.terminate();
    },
    stop() {
      clock.clearInterval(heartbeat);
      server.off('upgrade', onUpgrade);
      wss.close();
    },
  };
}
