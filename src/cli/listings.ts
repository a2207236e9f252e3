import { InvalidArgumentError, type Command } from 'commander';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { withCliDatabase } from './database.ts';
import type { Database } from '../db/database.ts';
import type { Tenant } from '../core/tenants.ts';
import type { BuyerMatch, Listing } from '../core/matching/queries.ts';
import type { ListingNotifyResult } from '../core/alerts/listing.ts';

/**
 * `closer listings add|matches`: add a property listing to an agency and see
 * which buyers it matches. Adding one also tells the matched, opted-in
 * buyers and their agents (queued messages the running server delivers).
 */
export function registerListings(program: Command): void {
  const listings = program.command('listings').description('Property listings of an agency tenant: add one, see which buyers match it.');

  listings
    .command('add')
    .description('Add a listing (validated) and print the buyers whose request it matches.')
    .requiredOption('--tenant <slug>', 'an agency tenant, e.g. demo-realty')
    .requiredOption('--ref <ref>', 'the listing reference, e.g. RY-900 (unique in the tenant)')
    .requiredOption('--title <text>', 'the title, in English or Arabic (stored under its language)')
    .requiredOption('--city <city>', 'e.g. Riyadh')
    .option('--district <district>', 'e.g. "Al Malqa" or "الملقا"')
    .requiredOption('--type <type>', 'apartment | villa | townhouse | duplex | land | floor | office | shop | building')
    .requiredOption('--price <amount>', 'asking price in the tenant currency')
    .option('--bedrooms <n>', 'number of bedrooms')
    .option('--area <sqm>', 'area in square metres')
    .option('--status <status>', 'available | reserved | sold | withdrawn', 'available')
    .option('--limit <n>', 'how many matching buyers to print (1-20)', limit, 20)
    .option('--json', 'print JSON instead of text')
    .action(async (opts: { tenant: string; ref: string; title: string; city: string; district?: string; type: string; price: string; bedrooms?: string; area?: string; status: string; limit: number; json?: boolean }) => {
      await withDatabase(opts.tenant, async (db, tenant, { withTenant, createListing, matchBuyersForListing, notifyBuyersOfListing }) => {
        const { listing, buyers, notice } = await withTenant(db, tenant.id, async (sql) => {
          const listing = await createListing(sql, tenant, {
            ref: opts.ref, title: opts.title, city: opts.city, district: opts.district, type: opts.type as never,
            price: opts.price, bedrooms: opts.bedrooms, area: opts.area, status: opts.status as never,
          });
          const notice = await notifyBuyersOfListing(sql, tenant, listing.id, new Date());
          return { listing, notice, buyers: await matchBuyersForListing(sql, listing, { limit: opts.limit, onlyContactable: false, tenantSlug: tenant.slug }) };
        });
        print(tenant, listing, buyers, Boolean(opts.json), 'added', notice);
      });
    });

  listings
    .command('matches')
    .description('Print the buyers whose active request matches a listing, best first.')
    .requiredOption('--tenant <slug>', 'an agency tenant, e.g. demo-realty')
    .requiredOption('--ref <ref>', 'the listing reference, e.g. RUH-1003')
    .option('--limit <n>', 'how many buyers to print (1-20)', limit, 20)
    .option('--json', 'print JSON instead of text')
    .action(async (opts: { tenant: string; ref: string; limit: number; json?: boolean }) => {
      await withDatabase(opts.tenant, async (db, tenant, { withTenant, findListings, placeIndexFor, matchBuyersForListing, NotFoundError }) => {
        if (tenant.vertical !== 'realty') throw new NotFoundError(`${tenant.slug} is not an agency: listings belong to real-estate tenants such as demo-realty.`);
        const { listing, buyers } = await withTenant(db, tenant.id, async (sql) => {
          const [listing] = (await findListings(sql, opts.ref, placeIndexFor(tenant.slug))).filter((l) => l.ref.toUpperCase() === opts.ref.trim().toUpperCase());
          if (!listing) throw new NotFoundError(`No listing ${opts.ref} in ${tenant.slug}.`);
          return { listing, buyers: await matchBuyersForListing(sql, listing, { limit: opts.limit, onlyContactable: false, tenantSlug: tenant.slug }) };
        });
        print(tenant, listing, buyers, Boolean(opts.json), 'matches');
      });
    });
}

function limit(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 20) throw new InvalidArgumentError('must be a whole number from 1 to 20');
  return n;
}

async function loadDeps() {
  const [tenantMod, listingsMod, queries, places, errors, notify] = await Promise.all([
    import('../db/tenant.ts'),
    import('../core/matching/listings.ts'),
    import('../core/matching/queries.ts'),
    import('../core/matching/places.ts'),
    import('../errors.ts'),
    import('../core/alerts/listing.ts'),
  ]);
  return {
    withTenant: tenantMod.withTenant,
    withSystem: tenantMod.withSystem,
    createListing: listingsMod.createListing,
    matchBuyersForListing: queries.matchBuyersForListing,
    findListings: queries.findListings,
    placeIndexFor: places.placeIndexFor,
    NotFoundError: errors.NotFoundError,
    notifyBuyersOfListing: notify.notifyBuyersOfListing,
  };
}

/** Opens the database the way `closer seed` does: the embedded one belongs to one process, so this fails clearly while `closer start` runs. */
async function withDatabase(slug: string, fn: (db: Database, tenant: Tenant, deps: Awaited<ReturnType<typeof loadDeps>>) => Promise<void>): Promise<void> {
  const cfg = loadConfig();
  const { getTenantBySlug } = await import('../core/tenants.ts');
  const deps = await loadDeps();
  await withCliDatabase(cfg, createLogger(process.env.LOG_LEVEL ? cfg.logLevel : 'warn'), async (db) => {
    const tenant = await deps.withSystem(db, (sql) => getTenantBySlug(sql, slug));
    await fn(db, tenant, deps);
  });
}

const MATCHES_ONLY = 'This only lists matches; buyers are told about a listing once, when it is added.';

/** What the notification step did, in one line (the messages are queued; the running server delivers them). */
function noticeLine(n: ListingNotifyResult | undefined): string {
  if (!n) return MATCHES_ONLY;
  return `Notified ${n.notified.length} matched opted-in buyer(s) and ${n.ownerMessages.length} owning agent(s); ${n.skipped.length} skipped (${[...new Set(n.skipped.map((s) => s.reason))].join(', ') || 'none'}). Messages are queued and sent by the running server (closer start).`;
}

function print(tenant: Tenant, listing: Listing, buyers: BuyerMatch[], json: boolean, mode: 'added' | 'matches', notice?: ListingNotifyResult): void {
  if (json) {
    process.stdout.write(
      JSON.stringify(
        {
          tenant: tenant.slug,
          listing,
          buyers: buyers.map((b) => ({
            lead_id: b.leadId, name: b.displayName, stage: b.stageKey, owner: b.ownerName, score: b.match.score,
            contactable: b.consent === 'opted_in' && !b.unreachable, consent: b.consent, unreachable: b.unreachable, reasons: b.match.reasons,
          })),
          notified: notice ? { buyers: notice.notified.map((n) => n.leadId), skipped: notice.skipped, owner_messages: notice.ownerMessages.length } : false,
          note: noticeLine(notice),
        },
        null,
        2,
      ) + '\n',
    );
    return;
  }
  const title = listing.titles.en ?? Object.values(listing.titles)[0] ?? '';
  const facts = [
    listing.propertyType,
    [listing.district, listing.city].filter(Boolean).join(', '),
    `${listing.price.toLocaleString('en')} ${listing.currency}`,
    listing.bedrooms !== null ? `${listing.bedrooms} BR` : '',
    listing.areaSqm !== null ? `${listing.areaSqm} m²` : '',
    listing.status,
  ].filter(Boolean);
  const lines = [`${mode === 'added' ? 'Added' : 'Listing'} ${listing.ref}: ${title}`, `  ${facts.join(' · ')}`, ''];
  if (buyers.length === 0) lines.push('No active buyer request matches it.');
  else {
    lines.push(`Matching buyers (${buyers.length}, best first):`);
    for (const b of buyers) {
      const contact = b.unreachable ? 'unreachable' : b.consent === 'opted_in' ? 'opted in' : b.consent === 'opted_out' ? 'opted out' : 'no consent yet';
      const why = b.match.reasons.filter((r) => r.status !== 'any').map((r) => `${r.status === 'match' ? '✓' : '~'} ${r.criterion}`).join(' ');
      lines.push(`  ${String(b.match.score).padStart(3)}  ${b.displayName}  [${b.stageKey}; owner ${b.ownerName ?? 'nobody'}; ${contact}]  ${why}`);
    }
  }
  lines.push('', noticeLine(notice));
  process.stdout.write(lines.join('\n') + '\n');
}
