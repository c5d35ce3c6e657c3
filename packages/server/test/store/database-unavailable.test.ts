import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../src/base/errors.ts';
import { databaseUnavailableError, isDatabaseUnavailable } from '../../src/store/database-unavailable.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

test('database-unavailable errors are recognised on both dialects', () => {
  const unavailable = [
    withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
    withCode('ECONNRESET'),
    new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed'),
    withCode('08006', 'connection failure'),
    withCode('08001'),
    withCode('57P01', 'terminating connection due to administrator command'),
    withCode('57P03', 'the database system is starting up'),
    withCode('53300', 'sorry, too many clients already'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    new Error('timeout expired'),
    new Error('Cannot use a pool after calling end on the pool'),
    withCode('SQLITE_BUSY', 'database is locked'),
    withCode('SQLITE_BUSY_SNAPSHOT'),
    withCode('SQLITE_CANTOPEN', 'unable to open database file'),
    new Error('query failed', { cause: withCode('ECONNRESET') }),
    new AppError('db_not_ready'),
  ];
  for (const error of unavailable) {
    assert.equal(isDatabaseUnavailable(error), true, String(error));
    const mapped = databaseUnavailableError(error);
    assert.equal(mapped?.code, 'db_not_ready', String(error));
    assert.equal(mapped?.status, 503);
    assert.ok((mapped?.retryAfter ?? 0) >= 1);
  }
});

test('other failures are not database outages', () => {
  for (const error of [
    new Error('boom'),
    withCode('23505', 'duplicate key value violates unique constraint'),
    withCode('42P01', 'relation "chats" does not exist'),
    withCode('57014', 'canceling statement due to statement timeout'),
    withCode('SQLITE_CONSTRAINT_UNIQUE'),
    new AppError('chat_not_found'),
    new AppError('validation_error', 'bad', { cause: withCode('ECONNREFUSED') }),
    null,
    'ECONNREFUSED',
  ]) {
    assert.equal(isDatabaseUnavailable(error), false, String(error));
    assert.equal(databaseUnavailableError(error), null);
  }
});
