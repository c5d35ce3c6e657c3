/**
 * The message list and how every server event changes it. Rules that make it safe to apply the same
 * information twice (a replay after a reconnect, a history reload, a duplicate acknowledgement):
 *
 * - one user message per client message id and server id; one reply object per assistant
 *   `message_id`, created once and updated in place;
 * - chunks are keyed by `chunk_index`, never compared by content: a chunk seen twice is ignored;
 * - a reply's text is the longer of (the chunks contiguous from index 0) and (a partial text read
 *   from history). Both are prefixes of the final answer, so the longer one is never wrong;
 * - `response_complete` is final: its `content` replaces whatever was assembled;
 * - history never removes a message and never turns a finished reply back into a streaming one.
 */
import type {
  MessageReceivedData,
  MessageResource,
  MessageStatus,
  ResponseChunkData,
  ResponseCompleteData,
  Source,
} from '@miptech/protocol';
import type { ChatMessage, ChatMessageStatus } from './chat-snapshot.ts';

interface ReplyAssembly {
  chunks: Map<number, string>;
  /** First chunk index not yet part of `prefix`. */
  prefixEnd: number;
  prefix: string;
  /** Partial text of a streaming reply as read from history. */
  snapshot: string;
}

const LOCAL_ID_PREFIX = 'local_';
const EMPTY_SOURCES: readonly Source[] = Object.freeze([]);
const TERMINAL_REPLY_STATUSES: ReadonlySet<ChatMessageStatus> = new Set(['complete', 'stopped', 'error', 'interrupted']);

export function isLocalId(id: string): boolean {
  return id.startsWith(LOCAL_ID_PREFIX);
}

function replyStatus(status: MessageStatus | undefined): ChatMessageStatus {
  switch (status) {
    case 'streaming':
    case 'stopped':
    case 'interrupted':
    case 'error':
      return status;
    default:
      return 'complete';
  }
}

function freezeMessage(message: ChatMessage): ChatMessage {
  return Object.freeze(message);
}

function longer(a: string, b: string): string {
  return b.length > a.length ? b : a;
}

function timeOf(message: ChatMessage): number {
  const time = Date.parse(message.createdAt);
  return Number.isNaN(time) ? 0 : time;
}

/** What a history merge found out about messages still waiting for their acknowledgement. */
export interface HistoryMergeResult {
  changed: boolean;
  /** Local user messages the history shows as stored: their sends are settled. */
  acknowledged: ChatMessage[];
}

export class Conversation {
  private list: ChatMessage[] = [];
  private published: readonly ChatMessage[] = Object.freeze([]);
  private dirty = false;
  private readonly assemblies = new Map<string, ReplyAssembly>();

  /** The current list, frozen; the same array until something changes. */
  get messages(): readonly ChatMessage[] {
    if (this.dirty) {
      this.published = Object.freeze(this.list.slice());
      this.dirty = false;
    }
    return this.published;
  }

  /** Whether a message with this server id is in the list. */
  hasServerMessage(id: string): boolean {
    return !isLocalId(id) && this.indexOf(id) >= 0;
  }

  hasServerMessages(): boolean {
    return this.list.some((message) => !isLocalId(message.id));
  }

  /** The answer being generated most recently, if any. */
  get streamingReply(): ChatMessage | null {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const message = this.list[i]!;
      if (message.role === 'assistant' && message.status === 'streaming') return message;
    }
    return null;
  }

  addLocalUserMessage(clientMessageId: string, text: string, status: 'queued' | 'sending', createdAt: string): void {
    this.list.push(freezeMessage({
      id: LOCAL_ID_PREFIX + clientMessageId,
      clientMessageId,
      role: 'user',
      content: text,
      status,
      sources: EMPTY_SOURCES,
      createdAt,
    }));
    this.dirty = true;
  }

  /** Moves a not-yet-acknowledged user message between queued / sending / failed / error. */
  setPendingStatus(clientMessageId: string, status: 'queued' | 'sending' | 'failed' | 'error', errorCode?: string): boolean {
    const index = this.list.findIndex((m) => m.role === 'user' && m.clientMessageId === clientMessageId && isLocalId(m.id));
    if (index < 0) return false;
    const current = this.list[index]!;
    if (current.status === status && current.errorCode === errorCode) return false;
    const next: ChatMessage = { ...current, status };
    if (errorCode !== undefined) (next as { errorCode?: string }).errorCode = errorCode;
    else delete (next as { errorCode?: string }).errorCode;
    this.replaceAt(index, next);
    return true;
  }

  /** Removes a user message that was never acknowledged (a discarded failed send). */
  removeLocal(clientMessageId: string): boolean {
    const index = this.list.findIndex((m) => m.role === 'user' && m.clientMessageId === clientMessageId && isLocalId(m.id));
    if (index < 0) return false;
    this.list.splice(index, 1);
    this.dirty = true;
    return true;
  }

  /** `message_received`: the local message gets the server id, or a foreign one is added. */
  acknowledge(data: MessageReceivedData): ChatMessage | null {
    if (typeof data.message_id !== 'string') return null;
    const byServerId = this.indexOf(data.message_id);
    const byClientId = data.client_message_id
      ? this.list.findIndex((m) => m.role === 'user' && m.clientMessageId === data.client_message_id)
      : -1;
    if (byClientId >= 0) {
      const local = this.list[byClientId]!;
      const next = freezeMessage({
        id: data.message_id,
        clientMessageId: local.clientMessageId,
        role: 'user',
        content: typeof data.content === 'string' ? data.content : local.content,
        status: 'sent',
        sources: EMPTY_SOURCES,
        createdAt: data.created_at ?? local.createdAt,
      });
      if (byServerId >= 0 && byServerId !== byClientId) {
        // Already known under its server id (from history): drop the local copy.
        this.list.splice(byClientId, 1);
        this.dirty = true;
        return this.list[this.indexOf(data.message_id)] ?? null;
      }
      if (!sameMessage(local, next)) this.replaceAt(byClientId, next);
      return this.list[byClientId]!;
    }
    if (byServerId >= 0) return this.list[byServerId]!;
    // A message sent by another tab or client of the same chat.
    const foreign = freezeMessage({
      id: data.message_id,
      clientMessageId: data.client_message_id ?? null,
      role: 'user',
      content: typeof data.content === 'string' ? data.content : '',
      status: 'sent',
      sources: EMPTY_SOURCES,
      createdAt: data.created_at ?? new Date().toISOString(),
    });
    this.list.push(foreign);
    this.dirty = true;
    return foreign;
  }

  /** `processing` / `response_start`: makes sure the reply object exists (created once). */
  startReply(messageId: string, userMessageId: string | null, createdAt: string): boolean {
    if (this.indexOf(messageId) >= 0) return false;
    this.insertReply(freezeMessage({
      id: messageId,
      clientMessageId: null,
      role: 'assistant',
      content: '',
      status: 'streaming',
      sources: EMPTY_SOURCES,
      createdAt,
    }), userMessageId);
    return true;
  }

  /** `response_chunk`: grows the reply; a chunk index seen before changes nothing. */
  appendChunk(data: ResponseChunkData, createdAt: string): boolean {
    let changed = this.startReply(data.message_id, null, createdAt);
    const index = this.indexOf(data.message_id);
    const reply = this.list[index]!;
    if (TERMINAL_REPLY_STATUSES.has(reply.status)) return changed;
    const assembly = this.assemblyOf(data.message_id);
    const chunkIndex = Number.isInteger(data.chunk_index) && data.chunk_index >= 0 ? data.chunk_index : assembly.prefixEnd;
    if (assembly.chunks.has(chunkIndex) || chunkIndex < assembly.prefixEnd) return changed;
    assembly.chunks.set(chunkIndex, typeof data.content === 'string' ? data.content : '');
    while (assembly.chunks.has(assembly.prefixEnd)) {
      assembly.prefix += assembly.chunks.get(assembly.prefixEnd)!;
      assembly.chunks.delete(assembly.prefixEnd);
      assembly.prefixEnd++;
    }
    const content = longer(assembly.prefix, assembly.snapshot);
    if (content !== reply.content) {
      this.replaceAt(index, { ...reply, content });
      changed = true;
    }
    return changed;
  }

  /** `response_complete`: the server's content is final. */
  completeReply(data: ResponseCompleteData, fallbackCreatedAt: string): boolean {
    this.startReply(data.message_id, data.user_message_id ?? null, data.created_at ?? fallbackCreatedAt);
    const index = this.indexOf(data.message_id);
    const reply = this.list[index]!;
    const assembly = this.assemblies.get(data.message_id);
    this.assemblies.delete(data.message_id);
    const content =
      typeof data.content === 'string'
        ? data.content
        : typeof data.message?.content === 'string'
          ? data.message.content
          : longer(assembly?.prefix ?? '', reply.content);
    const next: ChatMessage = {
      ...reply,
      content,
      status: replyStatus(data.status),
      sources: Array.isArray(data.sources) ? Object.freeze(data.sources.slice()) : reply.sources,
      createdAt: data.created_at ?? reply.createdAt,
    };
    if (data.error_code) (next as { errorCode?: string }).errorCode = data.error_code;
    if (sameMessage(reply, next)) return false;
    this.replaceAt(index, next);
    return true;
  }

  /** An `error` frame about a reply: remembered on it (the terminal response_complete follows). */
  markReplyError(messageId: string, code: string): boolean {
    const index = this.indexOf(messageId);
    if (index < 0 || this.list[index]!.role !== 'assistant') return false;
    const reply = this.list[index]!;
    if (reply.errorCode === code) return false;
    this.replaceAt(index, { ...reply, errorCode: code });
    return true;
  }

  hasReply(messageId: string): boolean {
    const index = this.indexOf(messageId);
    return index >= 0 && this.list[index]!.role === 'assistant';
  }

  /**
   * Merges one page of history by id. Known messages are updated in place (never moved: a list
   * that reshuffles under the reader's eyes is worse than one that differs from the database's
   * interleaving of concurrent answers); unknown ones are inserted before the page's next message,
   * or by time when the page has nothing after them.
   */
  mergeHistory(items: readonly MessageResource[]): HistoryMergeResult {
    const acknowledged: ChatMessage[] = [];
    const page = items
      .map((item, position) => ({ item, position, time: Date.parse(item.created_at) || 0 }))
      .sort((a, b) => a.time - b.time || a.position - b.position)
      .map((entry) => entry.item)
      .filter((item, index, all) => all.findIndex((other) => other.id === item.id) === index);

    let result = this.list.slice();
    const placed = new Set<string>();
    for (const item of page) {
      const matches = result
        .map((message, index) => ({ message, index }))
        .filter(({ message }) =>
          message.id === item.id ||
          (item.role === 'user' && item.client_message_id !== null && message.role === 'user' && message.clientMessageId === item.client_message_id));
      if (matches.length === 0) continue;
      const [first, ...extra] = matches;
      const merged = this.mergeOne(first!.message, item);
      if (first!.message.role === 'user' && isLocalId(first!.message.id)) acknowledged.push(merged);
      result[first!.index] = merged;
      // The same message known twice (local copy and server copy): keep one.
      if (extra.length > 0) result = result.filter((_, index) => !extra.some((e) => e.index === index));
      placed.add(item.id);
    }
    for (let i = page.length - 1; i >= 0; i--) {
      const item = page[i]!;
      if (placed.has(item.id)) continue;
      const message = this.mergeOne(undefined, item);
      const successor = page[i + 1];
      let at = successor ? result.findIndex((m) => m.id === successor.id) : -1;
      if (at < 0) {
        const time = timeOf(message);
        at = 0;
        result.forEach((m, index) => {
          if (!isLocalId(m.id) && timeOf(m) <= time) at = index + 1;
        });
      }
      result.splice(at, 0, message);
      placed.add(item.id);
    }

    const changed = result.length !== this.list.length || result.some((m, i) => m !== this.list[i]);
    if (changed) {
      this.list = result;
      this.dirty = true;
    }
    return { changed, acknowledged };
  }

  /**
   * Merges a page of older history (`before=anchorId`). Messages already known (by id, or a local
   * user message by client message id) are updated in place; the others, all older than the
   * anchor, go right before it in the page's order — by position, not by clock, so equal or skewed
   * timestamps cannot misplace them. Without the anchor in the list they go first.
   */
  mergeOlder(items: readonly MessageResource[], anchorId: string | null): HistoryMergeResult {
    const acknowledged: ChatMessage[] = [];
    const seen = new Set<string>();
    const fresh: ChatMessage[] = [];
    let changed = false;
    for (const item of items) {
      if (!item || typeof item.id !== 'string' || seen.has(item.id)) continue;
      seen.add(item.id);
      const index = this.list.findIndex((message) =>
        message.id === item.id ||
        (item.role === 'user' && item.client_message_id != null && message.role === 'user' && message.clientMessageId === item.client_message_id));
      if (index < 0) {
        fresh.push(this.mergeOne(undefined, item));
        continue;
      }
      const known = this.list[index]!;
      const merged = this.mergeOne(known, item);
      if (known.role === 'user' && isLocalId(known.id)) acknowledged.push(merged);
      if (merged !== known) {
        this.replaceAt(index, merged);
        changed = true;
      }
    }
    if (fresh.length > 0) {
      const anchor = anchorId ? this.indexOf(anchorId) : -1;
      this.list.splice(anchor < 0 ? 0 : anchor, 0, ...fresh);
      this.dirty = true;
      changed = true;
    }
    return { changed, acknowledged };
  }

  private mergeOne(local: ChatMessage | undefined, item: MessageResource): ChatMessage {
    const sources = Array.isArray(item.sources) ? Object.freeze(item.sources.slice()) : EMPTY_SOURCES;
    if (!local) {
      if (item.role === 'assistant' && item.status === 'streaming') {
        const assembly = this.assemblyOf(item.id);
        assembly.snapshot = item.content ?? '';
        this.advanceAssembly(assembly, item);
      }
      return freezeMessage({
        id: item.id,
        clientMessageId: item.client_message_id ?? null,
        role: item.role,
        content: item.content ?? '',
        status: item.role === 'user' ? 'sent' : replyStatus(item.status),
        sources,
        createdAt: item.created_at,
      });
    }
    if (item.role === 'user') {
      const next: ChatMessage = {
        id: item.id,
        clientMessageId: item.client_message_id ?? local.clientMessageId,
        role: 'user',
        content: item.content ?? local.content,
        status: 'sent',
        sources: EMPTY_SOURCES,
        createdAt: item.created_at ?? local.createdAt,
      };
      return sameMessage(local, next) ? local : freezeMessage(next);
    }
    const historyFinished = item.status !== 'streaming';
    if (historyFinished) {
      this.assemblies.delete(item.id);
      const next: ChatMessage = {
        ...local,
        content: item.content ?? local.content,
        status: replyStatus(item.status),
        sources: item.sources ? sources : local.sources,
        createdAt: item.created_at ?? local.createdAt,
      };
      return sameMessage(local, next) ? local : freezeMessage(next);
    }
    if (TERMINAL_REPLY_STATUSES.has(local.status)) return local;
    const assembly = this.assemblyOf(item.id);
    assembly.snapshot = longer(assembly.snapshot, item.content ?? '');
    this.advanceAssembly(assembly, item);
    const content = longer(assembly.prefix, assembly.snapshot);
    return content === local.content ? local : freezeMessage({ ...local, content });
  }

  /**
   * History's text of a streaming reply with `next_chunk_index` is the reply's chunks up to that
   * index: it becomes the prefix the live chunks extend (a page that joined mid-answer never saw
   * chunk 0, and without this would show nothing until response_complete).
   */
  private advanceAssembly(assembly: ReplyAssembly, item: MessageResource): void {
    const next = item.next_chunk_index;
    if (typeof next !== 'number' || !Number.isInteger(next) || next <= assembly.prefixEnd || typeof item.content !== 'string') return;
    assembly.prefix = item.content;
    assembly.prefixEnd = next;
    for (const index of [...assembly.chunks.keys()]) if (index < next) assembly.chunks.delete(index);
    while (assembly.chunks.has(assembly.prefixEnd)) {
      assembly.prefix += assembly.chunks.get(assembly.prefixEnd)!;
      assembly.chunks.delete(assembly.prefixEnd);
      assembly.prefixEnd++;
    }
  }

  private assemblyOf(messageId: string): ReplyAssembly {
    let assembly = this.assemblies.get(messageId);
    if (!assembly) {
      assembly = { chunks: new Map(), prefixEnd: 0, prefix: '', snapshot: '' };
      this.assemblies.set(messageId, assembly);
    }
    return assembly;
  }

  /** A new reply goes right after the user message it answers (and that message's earlier replies). */
  private insertReply(reply: ChatMessage, userMessageId: string | null): void {
    let at = this.list.length;
    const userIndex = userMessageId ? this.indexOf(userMessageId) : -1;
    if (userIndex >= 0) {
      // A reply never sorts before the message it answers, whatever the clocks say.
      const asked = this.list[userIndex]!.createdAt;
      if (timeOf(reply) < timeOf(this.list[userIndex]!)) reply = freezeMessage({ ...reply, createdAt: asked });
      at = userIndex + 1;
      while (at < this.list.length && this.list[at]!.role === 'assistant') at++;
    }
    this.list.splice(at, 0, reply);
    this.dirty = true;
  }

  private indexOf(id: string): number {
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i]!.id === id) return i;
    return -1;
  }

  private replaceAt(index: number, message: ChatMessage): void {
    this.list[index] = freezeMessage(message);
    this.dirty = true;
  }
}

function sameMessage(a: ChatMessage, b: ChatMessage): boolean {
  return (
    a.id === b.id &&
    a.clientMessageId === b.clientMessageId &&
    a.role === b.role &&
    a.content === b.content &&
    a.status === b.status &&
    a.createdAt === b.createdAt &&
    a.errorCode === b.errorCode &&
    (a.sources === b.sources || (a.sources.length === 0 && b.sources.length === 0))
  );
}
