/**
 * Polls `probe` until it returns something other than undefined or false,
 * and returns that. Tests wait on outcomes (a reply at a fake platform, a row
 * in its final state), never on fixed sleeps, so a slow machine only makes
 * them slower, not red.
 */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}
