/**
 * The tenant directory keeps answering from the last record it saw while the database cannot be
 * reached (CORS for a known tenant keeps working during an outage), and asks again afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTenantDirectory } from '../../src/auth/tenant-directory.ts';
import type { Store, TenantRecord } from '../../src/store/store.ts';

function tenant(id: string, origins: string[]): TenantRecord {
  return { id, name: id, publishableKey: `pk_${id}`, secretKeyHash: '', createdAt: '', settings: { allowedOrigins: origins } as TenantRecord['settings'] };
}

function flakyStore(records: TenantRecord[]) {
  const state = { down: false, gets: 0, lists: 0 };
  const refuse = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  const store = {
    tenants: {
      async get(id: string) {
        state.gets += 1;
        if (state.down) throw refuse();
        return records.find((record) => record.id === id) ?? null;
      },
      async list() {
        state.lists += 1;
        if (state.down) throw refuse();
        return records;
      },
    },
  } as unknown as Store;
  return { store, state };
}

test('while the database is down, a tenant and the origin list seen before are still answered (stale), then refreshed', async () => {
  const records = [tenant('acme', ['https://acme.example'])];
  const { store, state } = flakyStore(records);
  const directory = createTenantDirectory(store, { ttlMs: 1 });
  assert.equal((await directory.get('acme'))?.id, 'acme');
  assert.equal(await directory.isOriginAllowedByAnyTenant('https://acme.example'), true);
  await new Promise((resolve) => setTimeout(resolve, 5));

  state.down = true;
  const gets = state.gets;
  assert.equal((await directory.get('acme'))?.id, 'acme', 'stale record');
  assert.equal(state.gets, gets + 1, 'the database was asked');
  assert.equal(await directory.isOriginAllowedByAnyTenant('https://acme.example'), true, 'stale origins');
  await assert.rejects(directory.get('never-seen'), { code: 'ECONNREFUSED' });

  state.down = false;
  records[0] = tenant('acme', ['https://new.example']);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual((await directory.get('acme'))?.settings.allowedOrigins, ['https://new.example']);
  assert.equal(await directory.isOriginAllowedByAnyTenant('https://new.example'), true);
});
