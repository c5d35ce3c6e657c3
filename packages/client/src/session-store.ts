/**
 * The visitor's session id, kept between page loads so `POST /api/v1/chat` returns the same chat
 * (the deployed widgets made a fresh one on every load, and every reload lost the conversation).
 *
 * Stored under `miptech_session_id` as a JSON object `{tenantId: sessionId}`, one per tenant. A plain
 * string under that key — what the guide's sample code stored — is adopted for the current tenant,
 * so visitors of a site migrating from the sample keep their chat.
 */
import type { StorageLike } from './chat-client-options.ts';

export const SESSION_STORAGE_KEY = 'miptech_session_id';

/** A Storage that lives as long as the page (used when localStorage is missing or blocked). */
export class MemoryStorage implements StorageLike {
  private readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, String(value));
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/** localStorage when present and usable (it throws in some sandboxed iframes), else memory. */
export function defaultStorage(): StorageLike {
  try {
    const candidate = (globalThis as { localStorage?: StorageLike }).localStorage;
    if (candidate) {
      const probe = '__miptech_probe__';
      candidate.setItem(probe, '1');
      candidate.removeItem(probe);
      return candidate;
    }
  } catch {
    // Blocked storage (Safari private mode, sandboxed iframe): fall back to memory.
  }
  return new MemoryStorage();
}

function readMap(storage: StorageLike, tenantId: string): Record<string, string> {
  let raw: string | null = null;
  try {
    raw = storage.getItem(SESSION_STORAGE_KEY);
  } catch {
    return {};
  }
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      const map: Record<string, string> = {};
      for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string' && value) map[key] = value;
      return map;
    }
  } catch {
    // Not JSON: a bare id written by the guide's sample code.
  }
  return { [tenantId]: raw };
}

/** The stored session id for `tenantId`, created and saved on first use. */
export function loadOrCreateSessionId(storage: StorageLike, tenantId: string, createId: () => string): string {
  const map = readMap(storage, tenantId);
  let sessionId = map[tenantId];
  if (!sessionId) sessionId = createId();
  map[tenantId] = sessionId;
  try {
    storage.setItem(SESSION_STORAGE_KEY, JSON.stringify(map));
  } catch {
    // Quota or blocked storage: the id still works for this page's life.
  }
  return sessionId;
}

/**
 * Forgets the stored session id of `tenantId` (other tenants keep theirs): the next
 * loadOrCreateSessionId makes a new one.
 */
export function forgetSessionId(storage: StorageLike, tenantId: string): void {
  const map = readMap(storage, tenantId);
  if (!(tenantId in map)) return;
  delete map[tenantId];
  try {
    if (Object.keys(map).length === 0) storage.removeItem(SESSION_STORAGE_KEY);
    else storage.setItem(SESSION_STORAGE_KEY, JSON.stringify(map));
  } catch {
    // Blocked storage: nothing was kept there anyway.
  }
}
