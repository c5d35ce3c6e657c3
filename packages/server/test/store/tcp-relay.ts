import { createServer, connect, type Server, type Socket } from 'node:net';

/** A TCP relay to PostgreSQL that can be switched off and on, to simulate losing the database. */
export async function startRelay(host: string, port: number): Promise<{ port: number; setUp(up: boolean): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let up = true;
  const server: Server = createServer((client) => {
    if (!up) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  return {
    port: address.port,
    setUp(value: boolean) {
      up = value;
      if (!value) for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A relay in front of the PostgreSQL server of `databaseUrl`, and the URL that goes through it. */
export async function startPostgresRelay(databaseUrl: string): Promise<Awaited<ReturnType<typeof startRelay>> & { url: string }> {
  const upstream = new URL(databaseUrl);
  const relay = await startRelay(upstream.hostname, Number(upstream.port || 5432));
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(relay.port);
  return { ...relay, url: url.toString() };
}
