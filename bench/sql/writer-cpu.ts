import { readFileSync } from 'node:fs';
import type { Client } from 'pg';
import { createDatabase, recordFollowerEvents, recordTrades, type Tx } from '@vaults/shared';
import type { FollowerEv, TradeEv } from '@vaults/testkit';
import { EventFactory } from '../lib/events';
import { createVaults } from './sql-profile';

// CPU per batch of the batch writers, client and server side: one connection (so one Postgres
// backend, whose utime + stime /proc gives), batches run back to back. CPU time is what the cost
// targets count, and it is less disturbed by a busy machine than wall time (coarse: 10 ms ticks, hence
// many batches). Needs the Postgres server on this machine.

export interface WriterCpu {
  operation: string;
  batches: number;
  clientMsPerBatch: number;
  postgresMsPerBatch: number;
}

export async function measureWriterCpu(pg: Client, databaseUrl: string, batchSize: number, batches = 200): Promise<WriterCpu[]> {
  const f = new EventFactory(50, 5000, 11); // its own vaults, users and tx hashes (space 11)
  await createVaults(pg, f);
  const strip = <E extends TradeEv | FollowerEv>({ type: _type, ...rest }: E) => ({ ...rest, removed: false });
  const db = createDatabase(databaseUrl, 1);
  try {
    const pid = await db.transaction(async (tx) => Number((await tx.query<{ pid: number }>`SELECT pg_backend_pid() AS pid`)[0]!.pid));
    const run = async (operation: string, make: () => unknown[], write: (tx: Tx, b: never[]) => Promise<unknown>): Promise<WriterCpu> => {
      for (let i = 0; i < 10; i++) await db.transaction((tx) => write(tx, make() as never[]));
      const inputs = Array.from({ length: batches }, make);
      const [client0, server0] = [process.cpuUsage(), backendCpuMs(pid)];
      for (const b of inputs) await db.transaction((tx) => write(tx, b as never[]));
      const client = process.cpuUsage(client0);
      const server = backendCpuMs(pid) - server0;
      return {
        operation, batches,
        clientMsPerBatch: round((client.user + client.system) / 1000 / batches),
        postgresMsPerBatch: round(server / batches),
      };
    };
    return [
      await run('record_trades', () => f.trades(batchSize).map(strip), (tx, b) => recordTrades(tx, b)),
      await run('record_follower_events', () => f.followerEvents(batchSize).map(strip), (tx, b) => recordFollowerEvents(tx, b)),
    ];
  } finally {
    await db.close();
  }
}

/** utime + stime of a process on this machine, in ms. */
function backendCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

const round = (x: number) => Math.round(x * 100) / 100;
