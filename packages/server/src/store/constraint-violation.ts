/**
 * Recognises a foreign-key violation from either driver (better-sqlite3 error codes, PostgreSQL
 * SQLSTATE), so repositories can turn "the parent row is missing" into a wire error code.
 */
import { AppError } from '../base/errors.ts';

export function isForeignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}

/** For inserts whose only foreign key is the tenant: a violation means the tenant does not exist. */
export function tenantNotFoundOnForeignKey(error: unknown): never {
  throw isForeignKeyViolation(error) ? new AppError('tenant_not_found', undefined, { cause: error }) : error;
}
