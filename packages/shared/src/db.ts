import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from './generated/prisma/client';

export { Prisma, PrismaClient } from './generated/prisma/client';
export type Db = PrismaClient;
/** The client handed to code that runs inside a transaction. */
export type Tx = Prisma.TransactionClient;

/** Prisma 7 on the Rust-free client with node-postgres underneath. */
export function createPrisma(databaseUrl: string, poolSize: number): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: poolSize,
    connectionTimeoutMillis: 5000,
  });
  return new PrismaClient({ adapter });
}
