import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDatabaseUrl } from '../../src/base/database-url.ts';
import { newId } from '../../src/store/ids.ts';

describe('newId', () => {
  it('makes prefixed ids that sort in creation order, also within one millisecond', () => {
    const ids = Array.from({ length: 2000 }, () => newId('msg'));
    assert.ok(ids.every((id) => /^msg_[0-9a-hjkmnp-tv-z]{26}$/.test(id)));
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual([...ids].sort(), ids);
    assert.match(newId('chat'), /^chat_/);
    assert.match(newId('doc'), /^doc_/);
  });

  it('orders by time first, and never goes back when the clock does', () => {
    const early = newId('chat', Date.UTC(2030, 0, 1));
    const late = newId('chat', Date.UTC(2031, 0, 1));
    const clockStepsBack = newId('chat', Date.UTC(2029, 0, 1));
    assert.ok(early < late);
    assert.ok(late < clockStepsBack);
  });
});

describe('parseDatabaseUrl', () => {
  it('selects the dialect from the URL', () => {
    assert.deepEqual(parseDatabaseUrl('postgres://u:p@db:5432/app'), { dialect: 'postgres', connectionString: 'postgres://u:p@db:5432/app' });
    assert.deepEqual(parseDatabaseUrl('postgresql://db/app'), { dialect: 'postgres', connectionString: 'postgresql://db/app' });
    assert.deepEqual(parseDatabaseUrl('sqlite::memory:'), { dialect: 'sqlite', path: ':memory:' });
    assert.deepEqual(parseDatabaseUrl('sqlite:./data/app.db'), { dialect: 'sqlite', path: './data/app.db' });
    assert.deepEqual(parseDatabaseUrl('sqlite:/var/lib/app.db'), { dialect: 'sqlite', path: '/var/lib/app.db' });
    assert.deepEqual(parseDatabaseUrl('sqlite:///var/lib/app.db'), { dialect: 'sqlite', path: '/var/lib/app.db' });
    assert.deepEqual(parseDatabaseUrl('file:data/app.db'), { dialect: 'sqlite', path: 'data/app.db' });
    assert.deepEqual(parseDatabaseUrl('file:///tmp/app.db'), { dialect: 'sqlite', path: '/tmp/app.db' });
    assert.deepEqual(parseDatabaseUrl('./data/miptech.db'), { dialect: 'sqlite', path: './data/miptech.db' });
  });

  it('rejects empty and unsupported URLs clearly', () => {
    assert.throws(() => parseDatabaseUrl(''), /empty/);
    assert.throws(() => parseDatabaseUrl('mysql://db/app'), /not supported: mysql/);
    assert.throws(() => parseDatabaseUrl('sqlite:'), /names no file/);
  });
});
