/** Reads a JSON text column, falling back when the stored value is not what it should be. */
export function parseJsonColumn<T>(text: string | null, fallback: T, accept: (value: unknown) => boolean): T {
  if (text === null) return fallback;
  try {
    const value: unknown = JSON.parse(text);
    return accept(value) ? (value as T) : fallback;
  } catch {
    return fallback;
  }
}

export const isPlainObject = (value: unknown): boolean =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
