/**
 * Reads fields of a request body or query string, collecting every problem, then throws one
 * AppError validation_error (422) whose `detail` lists each as `{loc, msg, type}`. Wrong types are
 * reported, never coerced silently, and nothing here can throw anything but that AppError.
 */
import type { ValidationDetail } from '@miptech/protocol';
import { AppError } from '../base/errors.ts';

/** Deepest nesting accepted in an object field (a deeply nested body would overflow JSON.stringify's stack). */
export const MAX_JSON_DEPTH = 32;

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

interface StringRule {
  maxLength?: number;
  pattern?: RegExp;
  patternMessage?: string;
}

export class InputReader {
  private readonly problems: ValidationDetail[] = [];
  private readonly fields: Record<string, unknown>;

  constructor(
    input: unknown,
    private readonly location: 'body' | 'query',
    options: { required?: boolean } = {},
  ) {
    if (input === undefined || input === null) {
      if (options.required) this.problems.push({ loc: [location], msg: 'A JSON object is required', type: 'missing' });
      this.fields = {};
    } else if (typeof input !== 'object' || Array.isArray(input)) {
      this.problems.push({ loc: [location], msg: 'Must be a JSON object', type: 'type_error.object' });
      this.fields = {};
    } else {
      this.fields = input as Record<string, unknown>;
    }
  }

  private fail(field: string, msg: string, type: string): null {
    this.problems.push({ loc: [this.location, field], msg, type });
    return null;
  }

  /** A string field; null when absent (or explicitly null). Empty strings count as absent. */
  optionalString(field: string, rule: StringRule = {}): string | null {
    const value = this.fields[field];
    if (value === undefined || value === null || value === '') return null;
    if (typeof value !== 'string') return this.fail(field, 'Must be a string', 'type_error.string');
    if (rule.maxLength !== undefined && value.length > rule.maxLength) {
      return this.fail(field, `Must be at most ${rule.maxLength} characters`, 'value_error.too_long');
    }
    if (rule.pattern && !rule.pattern.test(value)) {
      return this.fail(field, rule.patternMessage ?? 'Has an invalid format', 'value_error.format');
    }
    return value;
  }

  requiredString(field: string, rule: StringRule = {}): string {
    const present = this.fields[field] !== undefined && this.fields[field] !== null && this.fields[field] !== '';
    if (!present) {
      this.fail(field, 'Field required', 'missing');
      return '';
    }
    return this.optionalString(field, rule) ?? '';
  }

  /** A string that must be one of `allowed`; null when absent. */
  optionalEnum<T extends string>(field: string, allowed: readonly T[]): T | null {
    const value = this.optionalString(field);
    if (value === null) return null;
    if (!(allowed as readonly string[]).includes(value)) {
      return this.fail(field, `Must be one of: ${allowed.join(', ')}`, 'value_error.enum');
    }
    return value as T;
  }

  /** A JSON object field, nested at most `maxDepth` levels (default MAX_JSON_DEPTH); null when absent. */
  optionalObject(field: string, options: { maxJsonBytes?: number; maxDepth?: number } = {}): Record<string, unknown> | null {
    const value = this.fields[field];
    if (value === undefined || value === null) return null;
    if (typeof value !== 'object' || Array.isArray(value)) return this.fail(field, 'Must be an object', 'type_error.object');
    const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
    if (nestsDeeperThan(value, maxDepth)) {
      return this.fail(field, `Must be nested at most ${maxDepth} levels deep`, 'value_error.too_deep');
    }
    if (options.maxJsonBytes !== undefined && JSON.stringify(value).length > options.maxJsonBytes) {
      return this.fail(field, `Must be at most ${options.maxJsonBytes} bytes as JSON`, 'value_error.too_long');
    }
    return value as Record<string, unknown>;
  }

  /** An integer, also accepted as a decimal string (query strings are text). */
  optionalInteger(field: string, min: number, max: number): number | null {
    const value = this.fields[field];
    if (value === undefined || value === null || value === '') return null;
    const parsed = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed)) return this.fail(field, 'Must be an integer', 'type_error.integer');
    if (parsed < min || parsed > max) return this.fail(field, `Must be from ${min} to ${max}`, 'value_error.range');
    return parsed;
  }

  /** Throws the collected problems, if any. */
  finish(): void {
    if (this.problems.length > 0) {
      throw new AppError('validation_error', this.problems.map((p) => `${p.loc.join('.')}: ${p.msg}`).join('; '), {
        detail: this.problems,
      });
    }
  }
}
