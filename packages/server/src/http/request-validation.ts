/**
 * How Fastify validates requests against the route schemas, and how a failure becomes the
 * guide's 422 `validation_error` with a `detail` entry `{loc, msg, type}` per problem.
 *
 * Two Ajv instances: query strings, path parameters and headers are text, so their values are
 * coerced to the schema's type (`?limit=20` is the integer 20); a JSON body is not — a number
 * where a string belongs is reported, never turned into "123". Every problem is reported
 * (allErrors), one per field, so a client fixes a request in one round.
 */
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import type { FastifyInstance, FastifySchema, FastifySchemaCompiler } from 'fastify';
import type { ValidationDetail } from '@miptech/protocol';
import { AppError } from '../base/errors.ts';

const COMMON_OPTIONS: Options = {
  allErrors: true,
  useDefaults: true,
  allowUnionTypes: true,
  // Errors carry their schema: a pattern's description is the message a client reads.
  verbose: true,
  // Annotations in the route schemas: OpenAPI's, and the message of a pattern (see describe).
  keywords: ['example', 'x-pattern-message'],
};

type Part = 'body' | 'querystring' | 'params' | 'headers';

/** Where a problem is, as the guide's `loc` names it. */
const LOCATION: Record<Part, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

function describe(error: ErrorObject): { msg: string; type: string } {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return { msg: 'Field required', type: 'missing' };
    case 'type': {
      const expected = String(params.type).split(',')[0]!;
      const article = /^[aeiou]/.test(expected) ? 'an' : 'a';
      return { msg: `Must be ${article} ${expected}`, type: `type_error.${expected}` };
    }
    case 'maxLength':
      return { msg: `Must be at most ${String(params.limit)} characters`, type: 'value_error.too_long' };
    case 'minLength':
      return { msg: 'Must not be empty', type: 'value_error.too_short' };
    case 'pattern':
      return { msg: 'Has an invalid format', type: 'value_error.format' };
    case 'enum':
      return { msg: `Must be one of: ${(params.allowedValues as unknown[]).join(', ')}`, type: 'value_error.enum' };
    case 'minimum':
    case 'maximum':
      return { msg: `Must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}`, type: 'value_error.range' };
    default:
      return { msg: error.message ?? 'Invalid', type: `value_error.${error.keyword}` };
  }
}

/** Ajv's errors → one ValidationDetail per field (the first problem found there). */
export function validationDetail(errors: readonly ErrorObject[], part: Part): ValidationDetail[] {
  const detail: ValidationDetail[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const path = error.instancePath
      .split('/')
      .slice(1)
      .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
    if (error.keyword === 'required') path.push(String((error.params as { missingProperty: string }).missingProperty));
    const loc = [LOCATION[part], ...path];
    const key = loc.join('\u0000');
    if (seen.has(key)) continue;
    seen.add(key);
    // A schema can say in its own words what its pattern means.
    const described = describe(error);
    const patternMessage = error.keyword === 'pattern' ? (error.parentSchema as { 'x-pattern-message'?: string } | undefined)?.['x-pattern-message'] : undefined;
    detail.push({ loc, msg: patternMessage ?? described.msg, type: described.type });
  }
  return detail;
}

/** The AppError of failed validation (also used by handlers for checks a schema cannot express). */
export function validationError(detail: ValidationDetail[]): AppError {
  return new AppError('validation_error', detail.map((problem) => `${problem.loc.join('.')}: ${problem.msg}`).join('; '), { detail });
}

/** A value still to look at; it knows its parent, so a path is written out only for the value found. */
interface Entry {
  item: unknown;
  key: string;
  parent: Entry | null;
}

/**
 * Where in `value` the first value `bad` says yes to is (an Ajv instance path), or null. Iterative:
 * a body nested thousands of levels deep is refused later, with its own detail (json-object-limits.ts).
 */
function findPath(value: unknown, bad: (item: unknown) => boolean): string | null {
  const pending: Entry[] = [{ item: value, key: '', parent: null }];
  while (pending.length > 0) {
    const entry = pending.pop()!;
    if (bad(entry.item)) {
      const keys: string[] = [];
      for (let at: Entry | null = entry; at?.parent; at = at.parent) keys.unshift(at.key);
      // JSON Pointer escapes, as Ajv writes instance paths (validationDetail reads them back).
      return keys.map((key) => `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
    }
    if (entry.item !== null && typeof entry.item === 'object') {
      for (const [key, child] of Object.entries(entry.item)) pending.push({ item: child, key, parent: entry });
    }
  }
  return null;
}

/**
 * Values a schema lets through that the platform cannot take (both found by the adversarial suite):
 * - a number that is not finite: Ajv coerces a query value like `1e309` to Infinity and lets it
 *   pass `integer` and `maximum` (it reached the database as a LIMIT: a 500);
 * - a string with a NUL character, which a PostgreSQL text column cannot hold (the insert failed:
 *   a 500 on PostgreSQL only).
 */
const UNACCEPTABLE: ReadonlyArray<{ bad: (value: unknown) => boolean; keyword: string; params: Record<string, unknown>; message: string }> = [
  { bad: (value) => typeof value === 'number' && !Number.isFinite(value), keyword: 'type', params: { type: 'number' }, message: 'must be a finite number' },
  { bad: (value) => typeof value === 'string' && value.includes('\u0000'), keyword: 'characters', params: {}, message: 'Must not contain NUL characters' },
];

function refuseUnacceptable(validate: ValidateFunction): ValidateFunction {
  const checked = ((data: unknown) => {
    if (!validate(data)) {
      checked.errors = validate.errors;
      return false;
    }
    for (const { bad, keyword, params, message } of UNACCEPTABLE) {
      const path = findPath(data, bad);
      if (path !== null) {
        checked.errors = [{ keyword, instancePath: path, schemaPath: `#/${keyword}`, params, message }];
        return false;
      }
    }
    checked.errors = null;
    return true;
  }) as ValidateFunction;
  return checked;
}

/**
 * Installs the validators and the error formatter on the root instance (before any route).
 * A route whose path parameter does not match its pattern (an id that cannot exist) answers its
 * own not-found code instead: routes say which in `config.notFoundCode`.
 */
export function registerRequestValidation(app: FastifyInstance): void {
  const textParts = new Ajv({ ...COMMON_OPTIONS, coerceTypes: 'array' });
  const jsonBody = new Ajv({ ...COMMON_OPTIONS, coerceTypes: false });
  const compiler: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) =>
    refuseUnacceptable((httpPart === 'body' ? jsonBody : textParts).compile(schema as object));
  app.setValidatorCompiler(compiler);
  app.setSchemaErrorFormatter((errors, dataVar) => validationError(validationDetail(errors as ErrorObject[], dataVar as Part)));
}
