import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

// A JSON-RPC proxy in front of anvil whose behaviour is a function of each request (single or in
// a batch): pass it on, change the answer, hold it back. The chain tests play with it a load
// balancer with a lagging replica (BalancerProxy) and a slow node (SlowProxy).

export interface RpcRequest {
  jsonrpc?: string;
  id: number | string;
  method: string;
  params?: unknown[];
}
export type RpcAnswer = { jsonrpc: '2.0'; id: number | string; result?: unknown; error?: { code: number; message: string } };
/** Sends one request to the node and returns its answer. */
export type Forward = (r: RpcRequest) => Promise<RpcAnswer>;

export abstract class ScriptedProxy {
  private server: Server | undefined;
  port = 0;

  constructor(protected readonly target: string) {}

  /** The answer to one request (forward(r) for the node's own). */
  protected abstract handle(r: RpcRequest, forward: Forward): Promise<RpcAnswer>;

  protected forward: Forward = async (r) => {
    const res = await fetch(this.target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(r) });
    return (await res.json()) as RpcAnswer;
  };

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    const parsed = JSON.parse(body) as RpcRequest | RpcRequest[];
    try {
      const out = await Promise.all((Array.isArray(parsed) ? parsed : [parsed]).map((r) => this.handle(r, this.forward)));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(Array.isArray(parsed) ? out : out[0]));
    } catch {
      res.destroy(); // the node is down: so is the proxy, as far as the client can tell
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

const blockParam = (r: RpcRequest): number | null => {
  const n = r.params?.[0];
  return typeof n === 'string' && n.startsWith('0x') ? Number(BigInt(n)) : null;
};

/**
 * A load balancer: eth_blockNumber and headers from the up-to-date node, eth_getLogs from a replica
 * `lag` blocks behind it. The replica answers a range with the logs of the blocks it has (none of
 * the newest), and refuses a block hash it does not have (EIP-234), as geth does.
 */
export class BalancerProxy extends ScriptedProxy {
  lag = 0;
  /** eth_getLogs by block hash refused because the replica has not got the block. */
  refusals = 0;
  /** Logs of the newest blocks left out of range answers. */
  hidden = 0;

  protected async handle(r: RpcRequest, forward: Forward): Promise<RpcAnswer> {
    if (r.method !== 'eth_getLogs' || this.lag === 0) return forward(r);
    const head = Number(BigInt((await forward({ jsonrpc: '2.0', id: 0, method: 'eth_blockNumber', params: [] })).result as string));
    const replicaHead = head - this.lag;
    const filter = (r.params?.[0] ?? {}) as { blockHash?: string };
    if (filter.blockHash) {
      const block = (await forward({ jsonrpc: '2.0', id: 0, method: 'eth_getBlockByHash', params: [filter.blockHash, false] })).result as { number: string } | null;
      if (!block || Number(BigInt(block.number)) > replicaHead) {
        this.refusals++;
        return { jsonrpc: '2.0', id: r.id, error: { code: -32000, message: `unknown block` } };
      }
      return forward(r);
    }
    const answer = await forward(r);
    if (!Array.isArray(answer.result)) return answer;
    const kept = (answer.result as { blockNumber: string }[]).filter((l) => Number(BigInt(l.blockNumber)) <= replicaHead);
    this.hidden += answer.result.length - kept.length;
    return { ...answer, result: kept };
  }
}

/**
 * A slow node: while `holdFrom` is set, answers to eth_getBlockByNumber for blocks at or above it
 * are read from the node at once (the chain as it was) but delivered only on release().
 */
export class SlowProxy extends ScriptedProxy {
  holdFrom: number | null = null;
  held = 0;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => undefined;

  hold(from: number): void {
    this.holdFrom = from;
    this.gate = new Promise((r) => (this.open = r));
  }

  release(): void {
    this.holdFrom = null;
    this.open();
  }

  protected async handle(r: RpcRequest, forward: Forward): Promise<RpcAnswer> {
    const answer = await forward(r);
    const n = blockParam(r);
    if (r.method === 'eth_getBlockByNumber' && this.holdFrom !== null && n !== null && n >= this.holdFrom) {
      this.held++;
      await this.gate;
    }
    return answer;
  }
}
