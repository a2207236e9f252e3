import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors.ts';

/**
 * The embedded database belongs to one process. The process that opens it
 * writes `<home>/closer.lock` with its pid, its URL and a random token; a
 * second `closer ask` or `closer chat` reads it and talks to that process
 * over HTTP (with the token) instead of opening the database itself.
 */
export interface LockInfo {
  pid: number;
  url: string | null;
  token: string;
  startedAt: string;
}

export function lockPath(home: string): string {
  return path.join(home, 'closer.lock');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The live lock holder, or undefined (a stale lock from a crashed process is removed). */
export function readLock(home: string): LockInfo | undefined {
  const file = lockPath(home);
  let info: LockInfo;
  try {
    info = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
  if (info.pid !== process.pid && !alive(info.pid)) {
    fs.rmSync(file, { force: true });
    return undefined;
  }
  return info;
}

export class AlreadyRunningError extends ConfigError {
  constructor(readonly holder: LockInfo) {
    super(
      `Closer is already running with this embedded database (pid ${holder.pid}${holder.url ? `, ${holder.url}` : ''}). ` +
        'Stop it first, use `npx closer ask`/`npx closer chat` (they talk to the running process), or set CLOSER_HOME to use another folder.',
    );
  }
}

export function acquireLock(home: string): { token: string; setUrl(url: string): void; release(): void } {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const holder = readLock(home);
  if (holder && holder.pid !== process.pid) throw new AlreadyRunningError(holder);
  const file = lockPath(home);
  const info: LockInfo = { pid: process.pid, url: null, token: crypto.randomBytes(24).toString('base64url'), startedAt: new Date().toISOString() };
  const write = () => fs.writeFileSync(file, JSON.stringify(info), { mode: 0o600 });
  try {
    // wx: fail if another process created it between our read and now.
    fs.writeFileSync(file, JSON.stringify(info), { mode: 0o600, flag: 'wx' });
  } catch {
    const other = readLock(home);
    if (other && other.pid !== process.pid) throw new AlreadyRunningError(other);
    write();
  }
  const release = () => {
    try {
      const current = JSON.parse(fs.readFileSync(file, 'utf8')) as LockInfo;
      if (current.pid === process.pid) fs.rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
  process.once('exit', release);
  return {
    token: info.token,
    setUrl(url: string) {
      info.url = url;
      write();
    },
    release,
  };
}
