/**
 * Sockets of this node grouped by chat. Each chat with at least one local socket holds exactly
 * one subscription to the event log; an event is encoded once and handed to every member.
 * It also remembers (bounded) when a socket of a chat last left, so a client that rejoins without
 * `last_seq` gets the end of an answer it could not have seen (client-connection.ts).
 */
import type { ChatEvent, ChatEventLog } from '../events/chat-event-log.ts';
import { LruMap } from '../lru-map.ts';
import { chatEventPrefix } from './frame-encoder.ts';

export interface RoomMember {
  /** Receives a chat event and its encoded prefix (see frame-encoder.ts). */
  deliver(event: ChatEvent, prefix: string): void;
}

interface Room {
  members: Set<RoomMember>;
  unsubscribe: () => void;
}

export class ChatRooms {
  private readonly rooms = new Map<string, Room>();
  private readonly leftAt = new LruMap<string, number>(20_000);

  constructor(private readonly eventLog: ChatEventLog) {}

  join(chatId: string, member: RoomMember): void {
    let room = this.rooms.get(chatId);
    if (!room) {
      const members = new Set<RoomMember>();
      const unsubscribe = this.eventLog.subscribe(chatId, (event) => {
        const prefix = chatEventPrefix(event);
        for (const listener of members) listener.deliver(event, prefix);
      });
      room = { members, unsubscribe };
      this.rooms.set(chatId, room);
    }
    room.members.add(member);
  }

  leave(chatId: string, member: RoomMember): void {
    const room = this.rooms.get(chatId);
    if (!room) return;
    if (room.members.delete(member)) this.leftAt.set(chatId, Date.now());
    if (room.members.size === 0) {
      room.unsubscribe();
      this.rooms.delete(chatId);
    }
  }

  /** When a socket of the chat last left this node (epoch ms); undefined when this node does not know. */
  lastLeftAt(chatId: string): number | undefined {
    return this.leftAt.get(chatId);
  }

  /** Number of chats with local sockets. */
  get size(): number {
    return this.rooms.size;
  }
}
