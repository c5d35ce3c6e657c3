/**
 * The WebSocket endpoint `/api/v1/ws/chat`, on the HTTP server's 'upgrade' event with `ws` in
 * noServer mode. An upgrade that is not a WebSocket handshake on this path, or that would exceed
 * the connection limits (per client address and in total, see ConnectionLimits), is refused with
 * an HTTP error and the typed error body (upgrade-refusal.ts). Every other upgrade is accepted (the
 * handshake state machine in client-connection.ts then decides, so a client always learns why with
 * a close code). One timer drives the heartbeat of all connections, a slice of them per tick (see
 * HeartbeatSlots); another looks for incoming messages left unfinished too long (a fragmented
 * message that never ends); shutdown closes every socket with 1001. A handshake without a visitor session gets one in the
 * session cookie of its 101 answer (see UpgradeInfo.issuedSessionId).
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { CLOSE_CODES, WS_PATH } from '@miptech/protocol';
import { clientAddress, proxyTrustOf, requestProtocol } from '../transport/client-address.ts';
import type { PlatformServices } from '../transport/platform-services.ts';
import { sessionCookieHeader } from '../transport/visitor-session-cookie.ts';
import { redactUrl } from '../base/logger.ts';
import { ChatRooms } from './chat-rooms.ts';
import { ClientConnection, readUpgradeInfo } from './client-connection.ts';
import { ConnectionLimits } from './connection-limits.ts';
import { HeartbeatSlots } from './heartbeat-slots.ts';
import { refuseUpgrade, upgradeRequestProblem } from './upgrade-refusal.ts';

/**
 * How far above WS_MAX_FRAME_BYTES ws itself still reads a frame: up to there a too large frame gets
 * our `message_too_large` error frame and the socket stays open; above it ws closes with 1009
 * without buffering the rest.
 */
const FRAME_HEADROOM_BYTES = 4 * 1024 * 1024;
/** Retry-After of an upgrade refused by a connection limit: sockets come and go within seconds. */
const CONNECTION_LIMIT_RETRY_AFTER_SECONDS = 5;
/** How often unfinished incoming messages are looked for, at most (WS_PARTIAL_FRAME_TIMEOUT_MS / 2 when shorter). */
const UNFINISHED_SWEEP_MAX_MS = 1000;
export interface WsGateway {
  readonly connectionCount: number;
  /** Connections that joined a chat (counted when asked: for the metrics scrape, not per frame). */
  readonly joinedCount: number;
  /** Closes every socket with 1001 and waits (bounded) until they are gone. */
  closeAll(timeoutMs?: number): Promise<void>;
  /** Stops the heartbeat and detaches from the server. */
  stop(): void;
}

export function attachWsGateway(server: Server, services: PlatformServices): WsGateway {
  const { config } = services;
  const maxPayload = config.wsMaxFrameBytes + FRAME_HEADROOM_BYTES;
  const limits = new ConnectionLimits(config.wsMaxConnectionsPerAddress, config.wsMaxConnections);
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
    joinedMaxPayload: maxPayload,
    onClosed(connection: ClientConnection) {
      connections.delete(connection);
      heartbeats.remove(connection);
      if (connections.size === 0) for (const waiter of closedWaiters) waiter();
    },
  };

  function onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = (request.url ?? '/').split('?')[0]!;
    if (path !== WS_PATH && path !== `${WS_PATH}/`) return refuseUpgrade(socket, 'not_found');
    if (services.lifecycle.shuttingDown) return refuseUpgrade(socket, 'server_shutting_down');
    const problem = upgradeRequestProblem(request);
    if (problem) return refuseUpgrade(socket, problem, problem === 'method_not_allowed' ? { headers: { Allow: 'GET' } } : {});
    const address = clientAddress(request, trust);
    const verdict = limits.acquire(address);
    if (verdict !== 'accepted') {
      services.metrics.rateLimitRejected('ws_connections');
      return refuseUpgrade(socket, 'too_many_connections', { retryAfterSeconds: CONNECTION_LIMIT_RETRY_AFTER_SECONDS });
    }
    socket.once('close', () => limits.release(address));
    services.logger.debug({ url: redactUrl(request.url ?? '/') }, 'websocket upgrade');
    const info = readUpgradeInfo(request, trust, address);
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
  const unfinishedSweep = clock.setInterval(
    () => {
      const now = clock.now();
      for (const connection of connections) connection.checkUnfinishedMessage(now, config.wsPartialFrameTimeoutMs);
    },
    Math.max(5, Math.min(UNFINISHED_SWEEP_MAX_MS, Math.floor(config.wsPartialFrameTimeoutMs / 2))),
  );
  unfinishedSweep.unref();

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
      clock.clearInterval(unfinishedSweep);
      server.off('upgrade', onUpgrade);
      wss.close();
    },
  };
}
