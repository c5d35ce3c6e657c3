/**
 * Sockets of this node grouped by chat. Each chat with at least one local socket holds exactly
 * one subscription to the event log; an event is encoded once and handed to every member.
 */
import type { ChatEvent, ChatEventLog } from '../backend/events/chat-event-log.ts';
import { ChatEventEncoder } from './frame-encoder.ts';

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

  constructor(private readonly eventLog: ChatEventLog) {}

  join(chatId: string, member: RoomMember): void {
    let room = this.rooms.get(chatId);
    if (!room) {
      const members = new Set<RoomMember>();
      const encoder = new ChatEventEncoder();
      const unsubscribe = this.eventLog.subscribe(chatId, (event) => {
        const prefix = encoder.prefix(event);
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
    room.members.delete(member);
    if (room.members.size === 0) {
      room.unsubscribe();
      this.rooms.delete(chatId);
    }
  }

  /** Number of chats with local sockets. */
  get size(): number {
    return this.rooms.size;
  }
}
