/**
 * An optional string field of a request as the handlers read it: older clients send empty strings
 * (and nulls) for fields they do not use, so those count as absent. The schemas accept them.
 */
export function presentString(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}
