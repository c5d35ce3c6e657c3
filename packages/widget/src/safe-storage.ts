/** The subset of the Web Storage API the widget and the client SDK use. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * `localStorage`/`sessionStorage` when usable, otherwise an in-memory map. Storage throws in some
 * privacy modes and sandboxed iframes; the widget must still work there, only without surviving a reload.
 */
export function safeStorage(kind: 'local' | 'session'): KeyValueStorage {
  try {
    const storage = kind === 'local' ? window.localStorage : window.sessionStorage;
    const probe = '__miptech_probe__';
    storage.setItem(probe, probe);
    storage.removeItem(probe);
    return storage;
  } catch {
    return memoryStorage();
  }
}

export function memoryStorage(): KeyValueStorage {
  const map = new Map<string, string>();
  return {
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
}

/** A view of `storage` whose keys all start with `prefix`, so tenants and visitors never share keys. */
export function prefixedStorage(storage: KeyValueStorage, prefix: string): KeyValueStorage {
  return {
    getItem: (key) => swallow(() => storage.getItem(prefix + key), null),
    setItem: (key, value) => swallow(() => storage.setItem(prefix + key, value), undefined),
    removeItem: (key) => swallow(() => storage.removeItem(prefix + key), undefined),
  };
}

/** Quota errors must not break the chat: the value is simply not persisted. */
function swallow<T>(action: () => T, fallback: T): T {
  try {
    return action();
  } catch {
    return fallback;
  }
}
