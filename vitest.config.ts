import fs from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * Two projects:
 * - `embedded`: every test, each file on its own clone of an embedded PGlite image;
 * - `server` (only with TEST_DATABASE_URL set, as CI does): every test file that touches the database again,
 *   each on its own fresh database on that PostgreSQL server (which must have pgvector).
 * A file "touches the database" when it (or the contract suite it runs) uses test/helpers/db.ts or app.ts.
 */
const TEST_DIR = path.resolve('test');
function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return testFiles(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}
const USES_DATABASE = /helpers\/(db|app)\.ts|from '\.\/suite\.ts'/;
const databaseTests = testFiles(TEST_DIR)
  .filter((f) => USES_DATABASE.test(fs.readFileSync(f, 'utf8')))
  .map((f) => path.relative(process.cwd(), f).split(path.sep).join('/'));

const shared = {
  globalSetup: ['test/helpers/global-setup.ts'],
  // Two cores → two forks.
  pool: 'forks' as const,
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    maxWorkers: 2,
    projects: [
      { test: { ...shared, name: 'embedded', include: ['test/**/*.test.ts'], env: { CLOSER_TEST_BACKEND: 'embedded' } } },
      ...(process.env.TEST_DATABASE_URL
        ? [{ test: { ...shared, name: 'server', include: databaseTests, env: { CLOSER_TEST_BACKEND: 'server' } } }]
        : []),
    ],
  },
});
