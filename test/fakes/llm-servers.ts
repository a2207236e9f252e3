import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

/**
 * Local stand-ins for the Gemini and OpenAI-compatible REST APIs, so the real
 * LangChain client classes are exercised end to end (request shape, tool
 * calls, usage fields, HTTP errors) with no network. Each server answers from
 * a script; `hang` never answers (a timeout), `status` fails with that code.
 */
export type Scripted = { tool: string; args: Record<string, unknown> } | { text: string } | { status: number } | { hang: true };

export interface FakeServer {
  url: string;
  script: Scripted[];
  /** Answers a chat request when the script is empty (benchmarks: a deterministic stand-in model); default: text 'ok'. */
  responder?: ((body: Record<string, unknown>) => Scripted) | undefined;
  /** Every request body received, in order. */
  requests: { path: string; body: Record<string, unknown> }[];
  close(): Promise<void>;
}

function readBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => resolve(data ? (JSON.parse(data) as Record<string, unknown>) : {}));
  });
}

async function serve(handler: (s: FakeServer, path: string, body: Record<string, unknown>, res: http.ServerResponse) => void): Promise<FakeServer> {
  const sockets = new Set<import('node:net').Socket>();
  const state: FakeServer = { url: '', script: [], requests: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    void readBody(req).then((body) => {
      const path = req.url ?? '';
      state.requests.push({ path, body });
      handler(state, path, body, res);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return state;
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const approxTokens = (body: unknown) => Math.ceil(JSON.stringify(body).length / 4);

/** POST /v1beta/models/{model}:generateContent (and :embedContent / :batchEmbedContents with 256-dim vectors). */
export function startFakeGemini(): Promise<FakeServer> {
  return serve((s, path, body, res) => {
    if (path.includes(':batchEmbedContents')) {
      const n = (body.requests as unknown[] | undefined)?.length ?? 0;
      return json(res, 200, { embeddings: Array.from({ length: n }, (_, i) => ({ values: Array.from({ length: 256 }, (_, j) => (j === i % 256 ? 1 : 0)) })) });
    }
    if (path.includes(':embedContent')) return json(res, 200, { embedding: { values: Array.from({ length: 256 }, (_, j) => (j === 0 ? 1 : 0)) } });
    const next = s.script.shift() ?? { text: 'ok' };
    if ('hang' in next) return;
    if ('status' in next) return json(res, next.status, { error: { code: next.status, message: next.status === 429 ? 'Resource has been exhausted (e.g. check quota).' : 'Internal error', status: next.status === 429 ? 'RESOURCE_EXHAUSTED' : 'INTERNAL' } });
    const part = 'tool' in next ? { functionCall: { name: next.tool, args: next.args } } : { text: next.text };
    json(res, 200, {
      candidates: [{ content: { role: 'model', parts: [part] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: approxTokens(body), candidatesTokenCount: 10, totalTokenCount: approxTokens(body) + 10 },
      modelVersion: 'gemini-2.5-flash',
    });
  });
}

/** POST {base}/chat/completions (and /embeddings), OpenAI wire format. */
export function startFakeOpenAI(): Promise<FakeServer> {
  return serve((s, path, body, res) => {
    if (path.endsWith('/embeddings')) {
      const input = Array.isArray(body.input) ? body.input : [body.input];
      return json(res, 200, {
        object: 'list',
        data: input.map((_, i) => ({ object: 'embedding', index: i, embedding: Buffer.from(new Float32Array(256).fill(1 / 16).buffer).toString('base64') })),
        model: body.model,
        usage: { prompt_tokens: 1, total_tokens: 1 },
      });
    }
    const next = s.script.shift() ?? s.responder?.(body) ?? { text: 'ok' };
    if ('hang' in next) return;
    if ('status' in next) return json(res, next.status, { error: { message: next.status === 429 ? 'Rate limit reached' : 'Server error', type: 'error', code: String(next.status) } });
    const message =
      'tool' in next
        ? { role: 'assistant', content: null, tool_calls: [{ id: `call_${randomUUID().slice(0, 8)}`, type: 'function', function: { name: next.tool, arguments: JSON.stringify(next.args) } }] }
        : { role: 'assistant', content: next.text };
    json(res, 200, {
      // Unique ids: LangGraph de-duplicates messages by id.
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, message, finish_reason: 'tool' in next ? 'tool_calls' : 'stop' }],
      usage: { prompt_tokens: approxTokens(body), completion_tokens: 10, total_tokens: approxTokens(body) + 10 },
    });
  });
}
