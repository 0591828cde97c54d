import { createServer, type Server } from 'node:http';

// A JSON-RPC proxy in front of anvil that answers eth_getLogs over more than `maxBlocks` blocks
// with the error a provider gives for too many results (single and batch requests), so the
// indexer's adaptive range has something to adapt to; and that can play a lagging node (a replica
// behind a load balancer): with `lagHead` set it reports that head and no block above it.

interface RpcRequest {
  id: number | string;
  method: string;
  params?: unknown[];
}

export class LimitProxy {
  limitErrors = 0;
  lagHead: number | null = null;
  /** eth_blockNumber calls answered while lagging. */
  laggingPolls = 0;
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: string, maxBlocks: number): Promise<LimitProxy> {
    let proxy: LimitProxy | undefined;
    const tooBig = (r: RpcRequest) => {
      if (r.method !== 'eth_getLogs') return false;
      const f = (r.params?.[0] ?? {}) as { fromBlock?: string; toBlock?: string };
      if (!f.fromBlock?.startsWith('0x') || !f.toBlock?.startsWith('0x')) return false;
      return Number(BigInt(f.toBlock) - BigInt(f.fromBlock)) + 1 > maxBlocks;
    };
    const limitError = (r: RpcRequest) => {
      proxy!.limitErrors++;
      return { jsonrpc: '2.0', id: r.id, error: { code: -32005, message: `query returned more than 10000 results; try a range of at most ${maxBlocks} blocks` } };
    };
    const lagged = (r: RpcRequest, answer: unknown) => {
      const head = proxy!.lagHead;
      if (head === null) return answer;
      if (r.method === 'eth_blockNumber') {
        proxy!.laggingPolls++;
        return { jsonrpc: '2.0', id: r.id, result: `0x${head.toString(16)}` };
      }
      const n = r.params?.[0];
      if (r.method === 'eth_getBlockByNumber' && typeof n === 'string' && n.startsWith('0x') && Number(BigInt(n)) > head) {
        return { jsonrpc: '2.0', id: r.id, result: null };
      }
      return answer;
    };
    // A request that fails (a body that is not JSON...) closes its connection, never the test process.
    const server = createServer((req, res) => void (async () => {
      let body = '';
      for await (const chunk of req) body += chunk;
      const parsed = JSON.parse(body) as RpcRequest | RpcRequest[];
      const list = Array.isArray(parsed) ? parsed : [parsed];
      const pass = list.filter((r) => !tooBig(r));
      let answers: unknown[] = [];
      if (pass.length) {
        try {
          const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(pass) });
          answers = (await upstream.json()) as unknown[];
        } catch {
          res.destroy(); // the node is down: so is the proxy, as far as the client can tell
          return;
        }
      }
      const byId = new Map((answers as { id: unknown }[]).map((a) => [a.id, a]));
      const out = list.map((r) => (tooBig(r) ? limitError(r) : lagged(r, byId.get(r.id))));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(Array.isArray(parsed) ? out : out[0]));
    })().catch(() => res.destroy()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    proxy = new LimitProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
