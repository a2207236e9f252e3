import type { Command } from 'commander';
import { ConfigError } from '../errors.ts';

/**
 * Secrets for CLI commands (bot tokens, signing secrets, passwords) without
 * putting them on the command line, where every local user can read them
 * (`ps`, /proc/<pid>/cmdline) and the shell keeps them in its history. Each
 * secret flag `--x <value>` gets two safer twins:
 * - `--x-stdin`: read it from standard input (one line per `-stdin` flag,
 *   in the order the command's help lists the secrets);
 * - an environment variable (`CLOSER_…`), used when neither flag is given.
 * The value flag still works, with a warning on stderr.
 */
export interface SecretSpec {
  /** The value flag without dashes, e.g. `token` for `--token <value>`. */
  flag: string;
  /** The environment variable read when no flag names the secret. */
  env: string;
  /** What the secret is, for `--help`. */
  what: string;
  /** The placeholder in `--help` (`<token>`). */
  placeholder?: string;
}

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Adds `--x <value>` and `--x-stdin` for each secret, with help naming the environment variable. */
export function secretOptions(cmd: Command, specs: SecretSpec[]): Command {
  for (const s of specs) {
    cmd.option(`--${s.flag} <${s.placeholder ?? 'value'}>`, `${s.what}; visible to other local users on the command line: prefer --${s.flag}-stdin or ${s.env}`);
    cmd.option(`--${s.flag}-stdin`, `read ${s.what.replace(/^(the|a|an) /, 'the ')} from standard input (one line)`);
  }
  return cmd;
}

export interface SecretIo {
  env: NodeJS.ProcessEnv;
  readStdin: () => Promise<string>;
  warn: (line: string) => void;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(chunks).toString('utf8');
}

const defaultIo = (): SecretIo => ({
  env: process.env,
  readStdin: () => {
    if (process.stdin.isTTY) process.stderr.write('Type or paste the secret(s), one per line, then press Ctrl+D:\n');
    return readAll(process.stdin);
  },
  warn: (line) => process.stderr.write(`${line}\n`),
});

/**
 * The secrets of a command, each from its value flag, standard input or
 * environment variable (in that order; a flag and its `-stdin` twin together
 * are refused). Missing ones are absent from the result: the command says
 * which are required.
 */
export async function readSecrets(opts: Record<string, unknown>, specs: SecretSpec[], io: SecretIo = defaultIo()): Promise<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  const fromStdin = specs.filter((s) => opts[`${camel(s.flag)}Stdin`] === true);
  for (const s of fromStdin) {
    if (typeof opts[camel(s.flag)] === 'string') throw new ConfigError(`Give --${s.flag} once: either --${s.flag} <value> or --${s.flag}-stdin, not both.`);
  }
  if (fromStdin.length) {
    const lines = (await io.readStdin()).split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    if (lines.length < fromStdin.length) {
      throw new ConfigError(`Expected ${fromStdin.length} line(s) on standard input, one for each of ${fromStdin.map((s) => `--${s.flag}-stdin`).join(', ')} in that order; got ${lines.length}.`);
    }
    fromStdin.forEach((s, i) => {
      const v = lines[i]!.trim();
      if (!v) throw new ConfigError(`Line ${i + 1} of standard input (for --${s.flag}-stdin) is empty.`);
      out[s.flag] = v;
    });
  }
  for (const s of specs) {
    if (out[s.flag] !== undefined) continue;
    const argv = opts[camel(s.flag)];
    if (typeof argv === 'string') {
      io.warn(`Warning: --${s.flag} on the command line is visible to other users of this machine (ps, /proc) and may stay in your shell history. Pass it with --${s.flag}-stdin or ${s.env} instead.`);
      out[s.flag] = argv;
      continue;
    }
    const fromEnv = io.env[s.env]?.trim();
    if (fromEnv) out[s.flag] = fromEnv;
  }
  return out;
}

/** The ways to give a required secret, for "missing" errors. */
export const secretSources = (s: SecretSpec) => `--${s.flag}-stdin, ${s.env} or --${s.flag}`;
