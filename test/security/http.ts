import http from 'node:http';

/** A raw HTTP request (fetch will not send a foreign Host header, which is exactly what DNS rebinding does). */
export function rawRequest(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
    });
    // A server may answer (413) and close before it has read a large body: the write error races the answer.
    req.on('error', (err) => setTimeout(() => (answered ? undefined : reject(err)), 100));
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
