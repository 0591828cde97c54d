import { createServer, connect, type Server, type Socket } from 'node:net';

// A TCP proxy (for Postgres) whose connections can go silent: nothing is forwarded any more in
// either direction, and nothing is closed, as when a network path dies without a reset.

export class TcpProxy {
  private silent = false;
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;
  port = 0;

  private constructor(host: string, port: number) {
    this.server = createServer((client) => {
      const upstream = connect(port, host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
      }
      client.on('data', (d) => !this.silent && upstream.write(d));
      upstream.on('data', (d) => !this.silent && client.write(d));
      // A close is passed on only while the path is alive: a silent path reports nothing.
      client.on('close', () => !this.silent && upstream.destroy());
      upstream.on('close', () => !this.silent && client.destroy());
    });
  }

  static async start(host: string, port: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(host, port);
    await new Promise<void>((r) => proxy.server.listen(0, '127.0.0.1', () => r()));
    proxy.port = (proxy.server.address() as { port: number }).port;
    return proxy;
  }

  /** From now on, every connection through the proxy (open or new) goes silent. */
  goSilent(): void {
    this.silent = true;
  }

  /** Ends every connection (the path is gone for good) and the proxy. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}
