/**
 * Open WebSockets per client address and in total, counted at the upgrade, before any join: a
 * client without any credential can otherwise open sockets until the process runs out of memory.
 * A slot is taken when the upgrade is let through and given back when its TCP socket closes,
 * whatever happened in between (handshake refused by ws, join failed, client gone).
 */

export type ConnectionLimitVerdict = 'accepted' | 'address_limit' | 'total_limit';

export class ConnectionLimits {
  private readonly perAddress = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxPerAddress: number,
    private readonly maxTotal: number,
  ) {}

  get openCount(): number {
    return this.total;
  }

  /** Takes a slot for `address`, or says which limit is reached (nothing is taken then). */
  acquire(address: string): ConnectionLimitVerdict {
    if (this.total >= this.maxTotal) return 'total_limit';
    const open = this.perAddress.get(address) ?? 0;
    if (open >= this.maxPerAddress) return 'address_limit';
    this.perAddress.set(address, open + 1);
    this.total += 1;
    return 'accepted';
  }

  release(address: string): void {
    const open = this.perAddress.get(address);
    if (open === undefined) return;
    if (open <= 1) this.perAddress.delete(address);
    else this.perAddress.set(address, open - 1);
    this.total -= 1;
  }
}
