import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { RedisError } from './errors.ts';
import type { Logger } from './log.ts';

/**
 * Where Redis is and how to connect to it. BullMQ and our own clients take
 * `options`; `stop()` ends a private redis-server child (a no-op for an
 * external Redis).
 */
export interface RedisHandle {
  options: RedisOptions;
  description: string;
  private: boolean;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'Install Redis (Debian/Ubuntu: `sudo apt-get install redis-server`; macOS: `brew install redis`), ' +
  'put redis-server on PATH (or set REDIS_SERVER_BIN to its path), or set REDIS_URL to a running Redis (example: REDIS_URL=redis://127.0.0.1:6379).';

export function redisOptionsFromUrl(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(Number.isInteger(db) ? { db } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** Checks that a Redis answers PING within `timeoutMs`; throws a RedisError that says how to fix it otherwise. */
export async function pingRedis(options: RedisOptions, where: string, timeoutMs = 3_000): Promise<void> {
  const client = new Redis({ ...options, lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: timeoutMs, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new RedisError(`Cannot reach Redis at ${where}: ${(err as Error).message}. Start Redis there, fix REDIS_URL, or unset REDIS_URL to let Closer run a private redis-server.`);
  } finally {
    client.disconnect();
  }
}

/** Connects to REDIS_URL, or starts a private redis-server with its data under `home`. */
export async function startRedis(opts: { url: string | undefined; home: string; log: Logger; binary?: string }): Promise<RedisHandle> {
  if (opts.url) {
    const options = redisOptionsFromUrl(opts.url);
    const where = `${options.host}:${options.port}`;
    await pingRedis(options, where);
    return { options, description: `redis at ${where}`, private: false, stop: async () => undefined };
  }
  return startPrivateRedis(opts.home, opts.log, opts.binary ?? process.env.REDIS_SERVER_BIN);
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  for (const candidate of ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/opt/homebrew/bin/redis-server']) {
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * A redis-server child process listening only on a unix socket inside
 * `home` (mode 700), so no other local user can reach it and no TCP port is
 * taken. It dies with us: we stop it on shutdown, and it is started with
 * the parent's lifetime in mind (SIGTERM on exit).
 */
async function startPrivateRedis(home: string, log: Logger, binary: string | undefined): Promise<RedisHandle> {
  const bin = binary ?? findOnPath('redis-server');
  if (!bin || !fs.existsSync(bin)) {
    throw new RedisError(`No redis-server found${binary ? ` at ${binary}` : ' on PATH'}. ${INSTALL_HINT}`);
  }
  const dir = path.join(home, 'redis');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const socket = path.join(dir, 'redis.sock');
  if (Buffer.byteLength(socket) > 100) {
    throw new RedisError(`The private Redis socket path is too long for the operating system (${socket}). Set CLOSER_HOME to a shorter path or set REDIS_URL.`);
  }
  fs.rmSync(socket, { force: true });
  const child: ChildProcess = spawn(
    bin,
    ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--logfile', path.join(dir, 'redis.log')],
    { stdio: 'ignore' },
  );
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  child.once('error', (err) => {
    exited = err.message;
  });
  const options: RedisOptions = { path: socket };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) throw new RedisError(`The private redis-server (${bin}) ${exited}; see ${path.join(dir, 'redis.log')}. ${INSTALL_HINT}`);
    if (fs.existsSync(socket)) {
      try {
        await pingRedis(options, socket, 1_000);
        break;
      } catch {
        // not accepting yet
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new RedisError(`The private redis-server did not start within 10 s; see ${path.join(dir, 'redis.log')}.`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  log.debug({ socket }, 'private redis-server started');
  return {
    options,
    description: `private redis-server (${socket})`,
    private: true,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 5_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
}
