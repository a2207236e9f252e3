import type { LockInfo } from '../../lock.ts';
import { CloserError } from '../../errors.ts';
import type { AskResult, LocalSendInput } from './session.ts';

/** Runs a turn in an already running Closer process (it owns the embedded database) through its local API. */
export async function remoteAsk(lock: LockInfo, input: LocalSendInput, timeoutMs: number): Promise<AskResult> {
  if (!lock.url) throw new CloserError(`Closer (pid ${lock.pid}) is running without its HTTP server; stop it or run the command there.`, 'REMOTE');
  let res: Response;
  try {
    res = await fetch(`${lock.url}/local/api/ask`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-closer-token': lock.token },
      body: JSON.stringify(input),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new CloserError(`Cannot reach the running Closer at ${lock.url}: ${(err as Error).message}. Is it still starting? Try again, or stop it.`, 'REMOTE');
  }
  const body = (await res.json().catch(() => ({}))) as AskResult & { error?: string; code?: string };
  if (!res.ok) throw new CloserError(body.error ?? `The running Closer answered ${res.status}.`, body.code ?? 'REMOTE');
  return body;
}

/** Asks the running process for a one-time web chat link (only the lock-file token may). */
export async function remoteLoginLink(lock: LockInfo): Promise<string> {
  if (!lock.url) throw new CloserError(`Closer (pid ${lock.pid}) is running without its HTTP server.`, 'REMOTE');
  let res: Response;
  try {
    res = await fetch(`${lock.url}/local/api/login-links`, { method: 'POST', headers: { 'x-closer-token': lock.token }, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw new CloserError(`Cannot reach the running Closer at ${lock.url}: ${(err as Error).message}.`, 'REMOTE');
  }
  const body = (await res.json().catch(() => ({}))) as { path?: string; error?: string };
  if (!res.ok || !body.path) throw new CloserError(body.error ?? `The running Closer answered ${res.status}.`, 'REMOTE');
  return `${lock.url}${body.path}`;
}
