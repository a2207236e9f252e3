import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** A loopback HTTP server answering JSON, for the fake platforms. */
export async function startJsonServer(handle: (method: string, path: string, body: unknown, headers: http.IncomingHttpHeaders) => FakeReply | Promise<FakeReply>): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown = undefined;
        try {
          body = raw ? JSON.parse(raw) : undefined;
        } catch {
          body = raw;
        }
        const r = await handle(req.method ?? 'GET', req.url ?? '/', body, req.headers);
        res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
        res.end(JSON.stringify(r.body));
      })().catch((err: Error) => {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: err.message }));
      });
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
