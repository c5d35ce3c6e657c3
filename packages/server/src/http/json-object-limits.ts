/**
 * What a JSON Schema cannot bound: how deep a free-form object nests and how large it is as JSON.
 * A deeply nested body parses fine but would overflow JSON.stringify's stack when stored, so it is
 * refused as a validation_error naming the field, like a schema failure.
 */
import type { ValidationDetail } from '@miptech/protocol';
import { FIELD_LIMITS } from './schemas/field-limits.ts';
import { validationError } from './request-validation.ts';

/** Whether `value` nests arrays/objects deeper than `maxDepth` (checked without recursion). */
function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth > maxDepth) return true;
    for (const child of Object.values(next.value)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: next.depth + 1 });
    }
  }
  return false;
}

/** Throws validation_error when the object at `loc` nests deeper than FIELD_LIMITS.jsonDepth or is larger than `maxJsonBytes`. */
export function checkJsonObject(value: unknown, loc: ValidationDetail['loc'], maxJsonBytes: number): void {
  if (typeof value !== 'object' || value === null) return;
  const maxDepth = FIELD_LIMITS.jsonDepth;
  if (nestsDeeperThan(value, maxDepth)) {
    throw validationError([{ loc, msg: `Must be nested at most ${maxDepth} levels deep`, type: 'value_error.too_deep' }]);
  }
  if (JSON.stringify(value).length > maxJsonBytes) {
    throw validationError([{ loc, msg: `Must be at most ${maxJsonBytes} bytes as JSON`, type: 'value_error.too_long' }]);
  }
}
