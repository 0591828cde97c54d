import { Client } from 'pg';

// One writer per stream: a session-level Postgres advisory lock, held on a connection of its
// own for as long as the replica indexes. A standby polls pg_try_advisory_lock; when the leader
// dies its session ends, Postgres releases the lock, and the standby takes over. If the lock's
// own connection dies, the lock is gone with it: `lost` resolves and the replica stops writing.

const LOCK_NAMESPACE = 0x1de7; // two-key form: (namespace, hashtext(stream)) cannot meet other locks

export class WriterLock {
  private client: Client | undefined;
  private lostResolve: ((err: Error) => void) | undefined;
  /** Resolves when a held lock is lost (its connection failed). */
  lost: Promise<Error> = new Promise(() => undefined);

  constructor(
    private readonly databaseUrl: string,
    private readonly streamId: string,
  ) {}

  /** Tries once; true when this replica now holds the lock. */
  async tryAcquire(): Promise<boolean> {
    const client = new Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5000, keepAlive: true });
    client.on('error', () => undefined); // reported through `lost` below, or a failed query
    await client.connect();
    try {
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS ok', [
        LOCK_NAMESPACE,
        this.streamId,
      ]);
      if (!r.rows[0]!.ok) {
        await client.end();
        return false;
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    this.lost = new Promise<Error>((resolve) => (this.lostResolve = resolve));
    const onLost = (err?: Error) => this.lostResolve?.(err ?? new Error('lock connection ended'));
    client.on('error', onLost);
    client.on('end', () => onLost());
    return true;
  }

  /** Each tick: the lock's connection still answers (a silently dead one would keep a standby out). */
  async check(): Promise<void> {
    if (!this.client) throw new Error('the writer lock is not held');
    await this.client.query('SELECT 1');
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.lostResolve = undefined;
    await client?.end().catch(() => undefined); // ending the session releases the lock
  }
}
