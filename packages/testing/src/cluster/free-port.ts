import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that is free now and likely to stay free, for servers that cannot listen
 * on port 0 or must listen again on the same port after a restart (cluster nodes in a rolling
 * deploy).
 *
 * The port is chosen below the kernel's ephemeral range (ip_local_port_range): ports inside it are
 * handed out to every outgoing connection and every `listen(0)` on the machine, so while a node is
 * down for its restart, one of the hundreds of connections the visitors, nginx, PostgreSQL clients
 * or a parallel test open could take its port and the node could not come back.
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = ephemeralRange();
  const high = ephemeralLow - 1;
  const low = Math.max(1024, high - 15_000);
  if (high - low >= 100) {
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const candidate = low + Math.floor(Math.random() * (high - low + 1));
      if (await canListen(candidate)) return candidate;
    }
  }
  return anyFreePort();
}

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // Not Linux: fall back to the IANA dynamic range.
  }
  return [49152, 65535];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
