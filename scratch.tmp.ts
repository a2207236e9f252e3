import { startApp } from './src/app.ts';
import { loadConfig } from './src/config.ts';
import { openEmbeddedDatabase } from './src/db/database.ts';
import { migrate } from './src/db/migrate.ts';
import { createLogger } from './src/log.ts';
import { localAsk } from './src/bots/local/session.ts';
const db = await openEmbeddedDatabase('memory://');
await migrate(db);
await db.pool.query(`INSERT INTO tenants (id, slug, name, vertical, default_locale, locales, currency, timezone) VALUES ('00000000-0000-4000-8000-000000000001','demo-clinic','Clinic','clinic','th','{th,en}','THB','Asia/Bangkok')`);
const T = '00000000-0000-4000-8000-000000000001';
await db.pool.query(`INSERT INTO pipeline_stages (tenant_id, key, names, position) VALUES ($1,'new','{"en":"New","th":"ใหม่"}',0)`, [T]);
await db.pool.query(`INSERT INTO staff_users (tenant_id, email, name, role, locale, timezone) VALUES ($1,'ploy@x','Ploy','rep','th','Asia/Bangkok')`, [T]);
await db.pool.query(`INSERT INTO channel_accounts (tenant_id, channel, name, external_id) VALUES ($1,'local','Local','local:demo-clinic')`, [T]);
await db.pool.query(`INSERT INTO leads (tenant_id, first_name, display_name, stage_key) VALUES ($1,'นก','นก','new'),($1,'Somjai','Somjai Chaiyaporn','new'),($1,'สมใจ','สมใจ ใจดี','new'),($1,'Somjai','Somjai Boonmee','new')`, [T]);
const config = loadConfig({ CLOSER_HOME: '/tmp/closer-scratch', REDIS_PREFIX: 'scratch', TURN_DEBOUNCE_MS: '0', DEMO_SEED: 'off', LOG_LEVEL: 'warn', REDIS_URL: 'redis://127.0.0.1:6379' });
const app = await startApp({ config, log: createLogger('warn'), http: false, workers: true, db });
for (const text of ['ข้อมูล นก', 'tell me about Somjai', 'help', 'blah']) {
  const t0 = performance.now();
  const r = await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', text }, 10000);
  console.log(Math.round(performance.now() - t0), 'ms', JSON.stringify(r.toolCalls), r.reply.slice(0, 200).replace(/\n/g, ' | '));
}
const t0 = performance.now();
for (let i = 0; i < 20; i++) await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', text: 'ข้อมูล นก' }, 10000);
console.log('avg', (performance.now() - t0) / 20);
await app.stop(); await db.close();
