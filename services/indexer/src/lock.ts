import { Client } from 'pg';

// One writer per stream: a session-level Postgres advisory lock, held on a connection of its
// own for as long as the replica indexes. A standby polls pg_try_advisory_lock; when the leader
// dies its session ends, Postgres releases the lock, and the standby takes over. If the lock's
// own connection dies, the lock is gone with it: `lost` resolves and the replica stops writing.
//
// A connection can also go silent rather than close (a dead NAT entry, a partitioned network):
// neither side hears of it for hours. So the holder sends a heartbeat every timeoutMs / 3 and
// counts the lock lost when one is not answered within timeoutMs / 3; and the lock's session
// sets idle_session_timeout = timeoutMs, so Postgres itself ends a session that stopped hearing
// from its holder, and releases the lock to a standby. What a writer does between losing the
// lock and noticing it is fenced by the epoch (store.ts), not by timing.

export const LOCK_NAMESPACE = 0x1de7; // two-key form: (namespace, hashtext(stream)) cannot meet other locks

export class WriterLock {
  private client: Client | undefined;
  private lostResolve: ((err: Error) => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** The heartbeat or check in flight: one query at a time on the lock's connection. */
  private ping: Promise<unknown> | null = null;
  /** Resolves when a held lock is lost (its connection failed or went silent). */
  lost: Promise<Error> = new Promise(() => undefined);

  constructor(
    private readonly databaseUrl: string,
    private readonly streamId: string,
    /** How long the holder and Postgres wait on a silent lock connection (see above). */
    private readonly timeoutMs = 10_000,
  ) {}

  /** Tries once; true when this replica now holds the lock. */
  async tryAcquire(): Promise<boolean> {
    const beat = Math.max(100, Math.floor(this.timeoutMs / 3));
    const client = new Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5000, keepAlive: true, query_timeout: beat });
    client.on('error', () => undefined); // reported through `lost` below, or a failed query
    await client.connect();
    try {
      await client.query("SELECT set_config('idle_session_timeout', $1, false)", [String(Math.floor(this.timeoutMs))]);
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int, hashtext($2)) AS ok', [
        LOCK_NAMESPACE,
        this.streamId,
      ]);
      if (!r.rows[0]!.ok) {
        await client.end();
        return false;
      }
    } catch (err) {
      destroy(client);
      throw err;
    }
    this.client = client;
    this.lost = new Promise<Error>((resolve) => (this.lostResolve = resolve));
    const onLost = (err?: Error) => {
      clearInterval(this.heartbeat);
      this.lostResolve?.(err ?? new Error('lock connection ended'));
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    this.heartbeat = setInterval(() => {
      this.answer().catch((err: Error) => {
        onLost(new Error(`lock connection did not answer a heartbeat: ${err.message}`));
        destroy(client);
      });
    }, beat);
    this.heartbeat.unref();
    return true;
  }

  /** Each tick: the lock's connection still answers (within the heartbeat's time-out). */
  async check(): Promise<void> {
    await this.answer();
  }

  private answer(): Promise<unknown> {
    const client = this.client;
    if (!client) return Promise.reject(new Error('the writer lock is not held'));
    this.ping ??= client.query('SELECT 1').finally(() => (this.ping = null));
    return this.ping;
  }

  async release(): Promise<void> {
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    this.lostResolve = undefined;
    if (!client) return;
    // Ending the session releases the lock; a silent connection would never answer the goodbye.
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      client.end().then(() => true, () => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), this.timeoutMs / 3))),
    ]);
    clearTimeout(timer);
    if (!ended) destroy(client);
  }
}

/** Drops the socket without a goodbye (a silent or broken connection). */
function destroy(client: Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
