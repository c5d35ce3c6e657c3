/**
 * The seam that carries a visitor's stop_generation to the other nodes. An answer runs on the node
 * that received its user message, while the visitor's socket may be on another one (it moved after
 * a 1001, or the message came over REST): only the generating node holds the upstream request, so
 * the stop must reach it. Without Redis there is one node and no relay (ChatService stops locally).
 */

/**
 * A stop as every node receives it. `tenantId` and `chatId` are those of the connection that sent
 * it (authenticated and access-checked there), never taken from the frame alone; a node stops only
 * answers of exactly that tenant and chat, so a forged message id cannot reach another tenant's
 * or another chat's answer.
 */
export interface StopRequest {
  tenantId: string;
  chatId: string;
  /** The assistant or user message id the visitor named; null stops every answer of the chat (running or about to start). */
  messageId: string | null;
}

export interface StopRelay {
  /** Sends the stop to every other node. Rejects when it could not be sent (Redis unreachable). */
  publish(stop: StopRequest): Promise<void>;
  /** `handler` receives every stop published by another node (never this node's own). */
  onStop(handler: (stop: StopRequest) => void): void;
  close(): Promise<void>;
}
