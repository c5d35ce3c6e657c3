/**
 * The nginx configuration docs/deployment.md shows, run for real (issue #15, item 5): nginx drops
 * server-level `proxy_set_header` lines in every location that sets its own, so the forwarded
 * headers are repeated in each location and X-Forwarded-For is nginx's own word ($remote_addr).
 * Through nginx, with TRUST_PROXY=true: a forged X-Forwarded-For does not escape the per-address
 * chat-creation limit (REST and WebSocket location), and behind TLS the visitor's session cookie is
 * Secure (X-Forwarded-Proto arrives). The docs' configuration is the one nginx-config.ts renders.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderDeploymentExample, renderNginxConfig } from '@miptech/testing/cluster/nginx-config.ts';
import { freePort } from '@miptech/testing/cluster/free-port.ts';
import { ALLOWED_TEST_ORIGIN, startTestPlatform } from '@miptech/testing/test-platform.ts';
import { connectWs } from '@miptech/testing/ws-test-client.ts';
import { waitFor } from '@miptech/testing/wait-for.ts';

const DOCS = new URL('../../../../docs/deployment.md', import.meta.url);

interface Answer {
  status: number;
  setCookie: string[];
}

/** A POST over https to nginx's TLS port (self-signed certificate). */
function postHttps(port: number, path: string, headers: Record<string, string>, body: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = httpsRequest(
      { host: '127.0.0.1', port, path, method: 'POST', rejectUnauthorized: false, headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie'] ?? [] }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function startNginx(t: import('node:test').TestContext, upstreamPort: number) {
  const dir = mkdtempSync(join(tmpdir(), 'miptech-nginx-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'logs'));
  const keyFile = join(dir, 'key.pem');
  const certificateFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certificateFile, '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const configFile = join(dir, 'nginx.conf');
  writeFileSync(
    configFile,
    renderNginxConfig({ listenPort: httpPort, upstreamPorts: [upstreamPort], runDir: dir, workerUserRoot: process.getuid?.() === 0, workerConnections: 256, tls: { port: httpsPort, certificateFile, keyFile } }),
  );
  let stderr = '';
  const child = spawn('nginx', ['-p', dir, '-c', configFile, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.after(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  await waitFor(`nginx on ${httpPort} (${stderr})`, async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => null))?.ok === true, 10_000, 50);
  return { httpPort, httpsPort };
}

test('the nginx configuration in docs/deployment.md is the one nginx-config.ts renders (and the cluster harness runs)', () => {
  const docs = readFileSync(DOCS, 'utf8');
  const block = /```nginx\n([\s\S]*?)\n```/.exec(docs);
  assert.ok(block, 'docs/deployment.md has an nginx block');
  assert.equal(block[1], renderDeploymentExample());
});

test('through nginx with TRUST_PROXY=true: forged X-Forwarded-For does not escape the chat-creation limit, and behind TLS the session cookie is Secure', async (t) => {
  const tp = await startTestPlatform({ env: { TRUST_PROXY: 'true' } });
  t.after(() => tp.close());
  const tenant = await tp.createTenant(`nginx-${Date.now().toString(36)}`, { anonymousWidget: true, rateLimits: { messagesPerMinute: 100, requestsPerMinute: 100, chatsPerHour: 1 } });
  const tenantId = tenant.tenant.id;
  const nginx = await startNginx(t, tp.port);

  const statuses: number[] = [];
  const cookies: string[][] = [];
  for (let i = 0; i < 3; i += 1) {
    const answer = await postHttps(nginx.httpsPort, '/api/v1/chat', { origin: ALLOWED_TEST_ORIGIN, 'x-tenant-id': tenantId, 'x-forwarded-for': `198.51.100.${i + 1}` }, {});
    statuses.push(answer.status);
    cookies.push(answer.setCookie);
  }
  assert.deepEqual(statuses, [201, 429, 429], 'every forged address is the same visitor: the one nginx saw');
  const session = cookies[0]!.find((cookie) => cookie.startsWith('miptech_session'));
  assert.ok(session, `the anonymous chat set a session cookie: ${JSON.stringify(cookies[0])}`);
  assert.match(session, /; Secure/, 'X-Forwarded-Proto https reached the node');

  // The WebSocket location repeats the headers too: the same visitor, the same spent budget.
  const ws = await connectWs(`ws://127.0.0.1:${nginx.httpPort}/api/v1/ws/chat?tenant_id=${tenantId}`, { origin: ALLOWED_TEST_ORIGIN, headers: { 'x-forwarded-for': '203.0.113.9' } });
  try {
    ws.send({ type: 'join_chat', data: { channel: 'website', create: true } });
    const frame = await ws.waitFor((f) => f.type === 'chat_joined' || f.type === 'error');
    assert.equal(frame.type === 'error' ? frame.data.code : frame.type, 'rate_limited');
  } finally {
    await ws.close();
  }
});
