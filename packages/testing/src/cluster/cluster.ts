/**
 * A real cluster on 127.0.0.1 for the scale-out proof: a fresh PostgreSQL database, Redis (a
 * shared server with a key prefix of its own, or a private redis-server), N platform node
 * processes and nginx in front of them with a
 * generated configuration. Nodes can be restarted (SIGTERM, then started again on the same port)
 * or killed (SIGKILL). `stop()` removes everything it created.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.ts';
import { renderNginxConfig } from './nginx-config.ts';
import { deleteRedisKeys } from './delete-redis-keys.ts';
import { PrivateRedis } from './private-redis.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../../../..');
const NODE_ENTRY = join(import.meta.dirname, 'cluster-node.ts');

export interface ClusterOptions {
  /** @default 3 */
  nodeCount?: number;
  /** A PostgreSQL server URL; the cluster creates (and later drops) its own database on it. */
  postgresUrl: string;
  /** Chunks per scripted answer. */
  chunkCount: number;
  /** Pause before each chunk. */
  chunkDelayMs: number;
  /** SHUTDOWN_GRACE_MS of the nodes. @default 20000 */
  shutdownGraceMs?: number;
  /** Extra environment for every node (e.g. lease timings). */
  nodeEnv?: Record<string, string>;
  /** LOG_LEVEL of the nodes. @default 'info' */
  logLevel?: string;
  /**
   * A shared Redis: the nodes use it with a key prefix of their own (deleted by stop()).
   * Without it the cluster starts a private redis-server.
   */
  redisUrl?: string;
  /**
   * The module each node process runs (through tsx). The bench runs its own entry with its
   * scripted model. @default packages/testing/src/cluster/cluster-node.ts
   */
  nodeEntry?: string;
  /** nginx `worker_connections` (a proxied socket takes two). @default 4096 */
  nginxWorkerConnections?: number;
  /**
   * Where stop() copies every node's log (`<prefix><node id>.log`) before removing the run
   * directory, so a failed bench run can be explained afterwards. @default not kept
   */
  keepNodeLogs?: { dir: string; prefix: string };
}

export interface ClusterNode {
  readonly id: string;
  readonly port: number;
  process: ChildProcess | null;
  /** Times this node was started (restarts count). */
  starts: number;
}

export const DEFAULT_TENANT = 'miptech-company';

export class Cluster {
  readonly nodes: ClusterNode[] = [];
  private nginx: ChildProcess | null = null;
  private pool: pg.Pool | null = null;
  private readonly logs: WriteStream[] = [];
  private stopped = false;
  /** Kills what is still running if this process exits without stop() (a crashed test run). */
  private readonly killOnExit = (): void => {
    for (const node of this.nodes) node.process?.kill('SIGKILL');
    this.nginx?.kill('SIGKILL');
  };

  private constructor(
    private readonly options: ClusterOptions,
    readonly runDir: string,
    readonly jwtSecret: string,
    readonly databaseName: string,
    readonly databaseUrl: string,
    /** The private Redis, or null on a shared one. */
    readonly privateRedis: PrivateRedis | null,
    readonly redisUrl: string,
    readonly redisKeyPrefix: string,
    readonly nginxPort: number,
  ) {}

  /** The load balancer's address: what clients use. */
  get url(): string {
    return `http://127.0.0.1:${this.nginxPort}`;
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    const runDir = mkdtempSync(join(tmpdir(), 'miptech-cluster-'));
    const databaseName = `miptech_cluster_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: options.postgresUrl });
    await admin.connect();
    try {
      await admin.query(`create database "${databaseName}"`);
    } finally {
      await admin.end();
    }
    const databaseUrl = withDatabase(options.postgresUrl, databaseName);
    let redis: PrivateRedis | null = null;
    try {
      if (!options.redisUrl) redis = await PrivateRedis.start();
      const cluster = new Cluster(
        options,
        runDir,
        randomBytes(36).toString('base64url'),
        databaseName,
        databaseUrl,
        redis,
        options.redisUrl ?? redis!.url,
        `${databaseName}:`,
        await freePort(),
      );
      process.once('exit', cluster.killOnExit);
      const count = options.nodeCount ?? 3;
      for (let index = 0; index < count; index += 1) {
        cluster.nodes.push({ id: `node-${index + 1}`, port: await freePort(), process: null, starts: 0 });
      }
      try {
        // The first node migrates the database alone; the others start together after it.
        const [first, ...rest] = cluster.nodes;
        if (first) await cluster.startNode(first);
        await Promise.all(rest.map((node) => cluster.startNode(node)));
        await cluster.startNginx();
      } catch (error) {
        await cluster.stop();
        throw error;
      }
      return cluster;
    } catch (error) {
      await redis?.stop();
      await dropDatabase(options.postgresUrl, databaseName).catch(() => undefined);
      rmSync(runDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Starts a node process and waits until its /readyz answers 200. */
  async startNode(node: ClusterNode): Promise<void> {
    if (node.process && node.process.exitCode === null) throw new Error(`${node.id} is already running`);
    const dataDir = join(this.runDir, node.id);
    mkdirSync(dataDir, { recursive: true });
    const log = createWriteStream(join(this.runDir, `${node.id}.log`), { flags: 'a' });
    this.logs.push(log);
    const child = spawn(process.execPath, ['--import', 'tsx', this.options.nodeEntry ?? NODE_ENTRY], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? this.runDir,
        // The test runner's --conditions=@miptech/source: the nodes run the sources under test, not a dist/ build.
        ...(process.env.NODE_OPTIONS ? { NODE_OPTIONS: process.env.NODE_OPTIONS } : {}),
        PORT: String(node.port),
        HOST: '127.0.0.1',
        PUBLIC_URL: this.url,
        DATA_DIR: dataDir,
        DATABASE_URL: this.databaseUrl,
        DATABASE_POOL_SIZE: '5',
        REDIS_URL: this.redisUrl,
        REDIS_KEY_PREFIX: this.redisKeyPrefix,
        NODE_ID: node.id,
        JWT_SECRET: this.jwtSecret,
        SHUTDOWN_GRACE_MS: String(this.options.shutdownGraceMs ?? 20_000),
        TRUST_PROXY: 'true',
        LOG_LEVEL: this.options.logLevel ?? 'info',
        CLUSTER_CHUNK_COUNT: String(this.options.chunkCount),
        CLUSTER_CHUNK_DELAY_MS: String(this.options.chunkDelayMs),
        ...this.options.nodeEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    node.process = child;
    node.starts += 1;
    await this.waitUntilReady(node, 60_000);
  }

  /**
   * SIGTERM and wait for the exit (a graceful shutdown: sockets closed with 1001, answers in flight
   * finished). Returns the exit code.
   */
  async stopNode(node: ClusterNode, timeoutMs = 60_000): Promise<number | null> {
    return this.signalNode(node, 'SIGTERM', timeoutMs);
  }

  /** SIGKILL: the node dies mid-whatever, like a crash. */
  async killNode(node: ClusterNode): Promise<void> {
    await this.signalNode(node, 'SIGKILL', 10_000);
  }

  /** Restart as in a rolling deploy: SIGTERM, wait for the exit, start again on the same port. */
  async restartNode(node: ClusterNode): Promise<{ exitCode: number | null; downMs: number }> {
    const stoppedAt = Date.now();
    const exitCode = await this.stopNode(node);
    await this.startNode(node);
    return { exitCode, downMs: Date.now() - stoppedAt };
  }

  /** One query on the cluster's database. */
  async query<T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> {
    this.pool ??= new pg.Pool({ connectionString: this.databaseUrl, max: 2 });
    const result = await this.pool.query<T>(sql, values);
    return result.rows;
  }

  /** The last lines of a node's log (for failure messages). */
  nodeLogTail(node: ClusterNode, lines = 40): string {
    try {
      return readFileSync(join(this.runDir, `${node.id}.log`), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Stops every process, drops the database and removes the run directory. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    process.off('exit', this.killOnExit);
    await Promise.all(this.nodes.map((node) => this.signalNode(node, 'SIGTERM', 30_000).catch(() => undefined)));
    await Promise.all(this.nodes.map((node) => this.signalNode(node, 'SIGKILL', 5_000).catch(() => undefined)));
    await this.stopNginx();
    await this.pool?.end().catch(() => undefined);
    if (this.privateRedis) await this.privateRedis.stop();
    else await deleteRedisKeys(this.redisUrl, this.redisKeyPrefix).catch(() => undefined);
    await Promise.all(this.logs.map((log) => new Promise<void>((resolveEnd) => log.end(() => resolveEnd()))));
    this.copyNodeLogs();
    await dropDatabase(this.options.postgresUrl, this.databaseName).catch(() => undefined);
    if (!process.env.CLUSTER_KEEP_RUN_DIR) rmSync(this.runDir, { recursive: true, force: true });
  }

  private copyNodeLogs(): void {
    const keep = this.options.keepNodeLogs;
    if (!keep) return;
    mkdirSync(keep.dir, { recursive: true });
    for (const node of this.nodes) {
      try {
        copyFileSync(join(this.runDir, `${node.id}.log`), join(keep.dir, `${keep.prefix}${node.id}.log`));
      } catch {
        // A node that never started has no log.
      }
    }
  }

  private async signalNode(node: ClusterNode, signal: NodeJS.Signals, timeoutMs: number): Promise<number | null> {
    const child = node.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${node.id} did not exit within ${timeoutMs} ms of ${signal}`)), timeoutMs);
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async waitUntilReady(node: ClusterNode, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const child = node.process;
      if (!child || child.exitCode !== null) {
        throw new Error(`${node.id} exited during start-up:\n${this.nodeLogTail(node)}`);
      }
      try {
        const response = await fetch(`http://127.0.0.1:${node.port}/readyz`, { signal: AbortSignal.timeout(1000) });
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${node.id} not ready after ${timeoutMs} ms:\n${this.nodeLogTail(node)}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
  }

  private async startNginx(): Promise<void> {
    const nginxDir = join(this.runDir, 'nginx');
    mkdirSync(nginxDir, { recursive: true });
    const configFile = join(nginxDir, 'nginx.conf');
    writeFileSync(
      configFile,
      renderNginxConfig({
        listenPort: this.nginxPort,
        upstreamPorts: this.nodes.map((node) => node.port),
        runDir: nginxDir,
        workerUserRoot: process.getuid?.() === 0,
        ...(this.options.nginxWorkerConnections ? { workerConnections: this.options.nginxWorkerConnections } : {}),
      }),
    );
    const child = spawn('nginx', ['-p', nginxDir, '-c', configFile, '-e', join(nginxDir, 'error.log')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (data: Buffer) => {
      stderr += data.toString();
    });
    this.nginx = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`);
      try {
        const response = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`nginx did not come up: ${stderr}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
  }

  private async stopNginx(): Promise<void> {
    const child = this.nginx;
    this.nginx = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${database}" with (force)`);
  } finally {
    await admin.end();
  }
}
