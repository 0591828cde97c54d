import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

// A programmable JSON-RPC proxy in front of a node (anvil), for the trust tests: it can answer
// with an HTTP error status instead of forwarding (a provider's 429), or answer some methods
// itself (a node on another chain: eth_chainId). Any path and query are accepted, so a URL can
// carry a key like a provider's (`/v3/<key>?apikey=<key>`).

interface RpcRequest {
  id: number | string;
  method: string;
  params?: unknown[];
}

export class RpcProxy {
  /** When set, every request is answered with this HTTP status and `httpBody`, not forwarded. */
  httpStatus: number | null = null;
  httpBody = 'Too Many Requests';
  /** Results answered by the proxy itself, by method (forwarding the rest). */
  readonly results = new Map<string, unknown>();
  /** Requests received (HTTP requests, a batch counts once). */
  requests = 0;

  private readonly server: Server;
  private port = 0;

  private constructor(private readonly target: string) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(target: string): Promise<RpcProxy> {
    const proxy = new RpcProxy(target);
    await new Promise<void>((r) => proxy.server.listen(0, '127.0.0.1', () => r()));
    proxy.port = (proxy.server.address() as { port: number }).port;
    return proxy;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    this.requests++;
    if (this.httpStatus !== null) {
      res.writeHead(this.httpStatus, { 'content-type': 'text/plain' });
      res.end(this.httpBody);
      return;
    }
    const parsed = JSON.parse(body) as RpcRequest | RpcRequest[];
    const list = Array.isArray(parsed) ? parsed : [parsed];
    const pass = list.filter((r) => !this.results.has(r.method));
    let answers: { id: unknown }[] = [];
    if (pass.length) {
      try {
        const upstream = await fetch(this.target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(pass) });
        answers = (await upstream.json()) as { id: unknown }[];
      } catch {
        res.destroy();
        return;
      }
    }
    const byId = new Map(answers.map((a) => [a.id, a]));
    const out = list.map((r) => (this.results.has(r.method) ? { jsonrpc: '2.0', id: r.id, result: this.results.get(r.method) } : byId.get(r.id)));
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(Array.isArray(parsed) ? out : out[0]));
  }

  /** The proxy's URL, with a path and query of the caller's choosing (a provider's key, say). */
  url(pathAndQuery = ''): string {
    return `http://127.0.0.1:${this.port}${pathAndQuery}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}
