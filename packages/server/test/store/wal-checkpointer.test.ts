import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { openSqliteDialect } from '../../src/store/sqlite-store-dialect.ts';
import { FALLBACK_AUTOCHECKPOINT_PAGES } from '../../src/store/wal-checkpointer.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('WAL checkpoints from a worker thread', () => {
  it('copies committed pages into the database file while the main connection only writes, and removes the WAL on close', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'miptech-wal-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'store.db');
    const dialect = openSqliteDialect(path);
    let closed = false;
    t.after(async () => {
      if (!closed) await dialect.close();
    });
    const pragma = async (name: string) => (await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(dialect.db)).rows[0];
    assert.deepEqual(await pragma('wal_autocheckpoint'), { wal_autocheckpoint: FALLBACK_AUTOCHECKPOINT_PAGES });

    await sql`create table filler (id integer primary key, body text not null)`.execute(dialect.db);
    const sizeBefore = statSync(path).size;
    // ~1.6 MB of rows: a few hundred WAL pages, far below the main connection's own checkpoint.
    for (let batch = 0; batch < 40; batch += 1) {
      await sql`insert into filler (body) select printf('%.1000c', 'x') from (select 1 union all select 2 union all select 3 union all select 4 union all select 5 union all select 6 union all select 7 union all select 8 union all select 9 union all select 10) as ten, (select 1 union all select 2 union all select 3 union all select 4) as four`.execute(dialect.db);
    }
    assert.ok(existsSync(`${path}-wal`));
    const deadline = Date.now() + 10_000;
    while (statSync(path).size <= sizeBefore + 1_000_000 && Date.now() < deadline) await sleep(50);
    assert.ok(statSync(path).size > sizeBefore + 1_000_000, `the database file grew from ${sizeBefore} to ${statSync(path).size} bytes`);
    assert.deepEqual(await pragma('integrity_check'), { integrity_check: 'ok' });

    await dialect.close();
    closed = true;
    assert.equal(existsSync(`${path}-wal`), false, 'the last connection to close removed the WAL');
  });

  it('runs no worker for an in-memory database and closes it', async () => {
    const dialect = openSqliteDialect(':memory:');
    await sql`select 1`.execute(dialect.db);
    await dialect.close();
  });
});
