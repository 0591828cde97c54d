import { createServer, type Server } from 'node:http';

// A JSON-RPC pass-through in front of anvil that answers its first `failures` requests with 503,
// as a provider does during a brief outage: the indexer's RPC errors and retries are then real
// series (with their labels), as the dashboard's panel on them expects in production.

export class FlakyRpc {
  failed = 0;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(target: string, failures: number): Promise<FlakyRpc> {
    let self: FlakyRpc | undefined;
    // A request that fails (a body that is not JSON...) closes its connection, never the test process.
    const server = createServer((req, res) => void (async () => {
      let body = '';
      for await (const chunk of req) body += chunk;
      if (self!.failed < failures) {
        self!.failed++;
        res.writeHead(503).end('unavailable');
        return;
      }
      try {
        const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
      } catch {
        res.destroy();
      }
    })().catch(() => res.destroy()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    self = new FlakyRpc(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`);
    return self;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}
