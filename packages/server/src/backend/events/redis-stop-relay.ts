/**
 * stop_generation across nodes through Redis pub/sub: one channel (`<prefix>stop-generation`) that
 * every node subscribes to. A node does not know which node generates an answer (the database's
 * lease owner would cost a query per stop and can be stale), so a stop goes to all of them; each
 * aborts only its own answers of that tenant's chat (ChatService: running ones, and those whose user
 * message it committed but whose row is not inserted yet), the others ignore it. Stops are rare, so
 * a broadcast costs little.
 *
 * Fire and forget, like the local stop: a stop sent while Redis is unreachable is lost (the
 * publisher fails at once and the caller logs it); the answer then ends as it would have.
 */
import type { Redis } from 'ioredis';
import type { StopRelay, StopRequest } from '../stop-relay.ts';
import { closeRedisConnection, createRedisConnection, waitForRedisReady } from '../redis/create-redis-connection.ts';
import type { RedisLogger } from '../redis/redis-logger.ts';
import type { NodeRedisConnections, RedisPartOptions } from '../redis/node-redis-connections.ts';

export interface RedisStopRelayOptions extends RedisPartOptions {
  /** @default 2000 (with shared `connections`, theirs applies) */
  commandTimeoutMs?: number;
}

/** What travels on the channel. */
interface StopMessage extends StopRequest {
  node: string;
}

export class RedisStopRelay implements StopRelay {
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly channel: string;
  private readonly handlers = new Set<(stop: StopRequest) => void>();
  /** Resolves once Redis confirmed the SUBSCRIBE (ioredis re-subscribes after a reconnect by itself). */
  private readonly subscribed: Promise<void>;
  /** false when the connections are the node's shared ones (closed by their owner). */
  private readonly ownsConnections: boolean;
  private closed = false;
  private readonly onChannelMessage = (channel: string, message: string): void => {
    // The subscriber connection may also carry the event log's channels.
    if (channel === this.channel) this.onMessage(message);
  };

  constructor(private readonly options: RedisStopRelayOptions) {
    const { redisUrl, nodeId, logger } = options;
    this.channel = `${options.keyPrefix}stop-generation`;
    if (options.connections) {
      this.publisher = options.connections.commands;
      this.subscriber = options.connections.subscriber;
      this.ownsConnections = false;
    } else {
      if (!redisUrl) throw new Error('RedisStopRelay needs connections or redisUrl');
      this.publisher = createRedisConnection({
        url: redisUrl,
        connectionName: `miptech:${nodeId}:stop`,
        commandTimeoutMs: options.commandTimeoutMs ?? 2000,
        ...(logger ? { logger } : {}),
      });
      this.subscriber = createRedisConnection({
        url: redisUrl,
        connectionName: `miptech:${nodeId}:stop-sub`,
        subscriber: true,
        ...(logger ? { logger } : {}),
      });
      this.ownsConnections = true;
    }
    this.subscriber.on('message', this.onChannelMessage);
    this.subscribed = this.subscriber.subscribe(this.channel).then(
      () => undefined,
      (error: unknown) => {
        if (!this.closed) logger?.warn({ err: (error as Error).message }, 'redis subscribe to stop-generation failed');
      },
    );
  }

  /** Resolves when stops can be sent and received; rejects after `timeoutMs` (the node works without). */
  async waitUntilReady(timeoutMs = 5000): Promise<void> {
    await waitForRedisReady(this.publisher, timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`stop-generation subscription not ready after ${timeoutMs} ms`)), timeoutMs);
      timer.unref?.();
    });
    try {
      await Promise.race([this.subscribed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async publish(stop: StopRequest): Promise<void> {
    const message: StopMessage = { node: this.options.nodeId, tenantId: stop.tenantId, chatId: stop.chatId, messageId: stop.messageId };
    await this.publisher.publish(this.channel, JSON.stringify(message));
  }

  onStop(handler: (stop: StopRequest) => void): void {
    this.handlers.add(handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    this.subscriber.off('message', this.onChannelMessage);
    if (this.ownsConnections) {
      await Promise.all([closeRedisConnection(this.publisher), closeRedisConnection(this.subscriber)]);
    } else if (this.subscriber.status === 'ready') {
      // The connection stays open for its other users.
      await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
    }
  }

  private onMessage(payload: string): void {
    const message = parseStopMessage(payload);
    if (!message) {
      this.options.logger?.warn({ channel: this.channel }, 'unreadable stop on redis channel');
      return;
    }
    // This node stopped its own answers before publishing.
    if (message.node === this.options.nodeId) return;
    const stop: StopRequest = { tenantId: message.tenantId, chatId: message.chatId, messageId: message.messageId };
    for (const handler of [...this.handlers]) {
      try {
        handler(stop);
      } catch (error) {
        this.options.logger?.error({ err: (error as Error).message, chatId: stop.chatId }, 'stop handler threw');
      }
    }
  }
}

function parseStopMessage(payload: string): StopMessage | null {
  try {
    const value = JSON.parse(payload) as Partial<StopMessage>;
    if (typeof value.node !== 'string' || typeof value.tenantId !== 'string' || typeof value.chatId !== 'string') return null;
    if (value.messageId !== null && typeof value.messageId !== 'string') return null;
    return { node: value.node, tenantId: value.tenantId, chatId: value.chatId, messageId: value.messageId };
  } catch {
    return null;
  }
}
