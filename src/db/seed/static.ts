import { LOCAL_EMBEDDING_MODEL, embedLocal, toSqlVector } from '../../core/embeddings/local.ts';
import type { Rng } from '../../core/random.ts';
import { DAY_MS, iso, type Row, type SeedContext, type StaffRef } from './context.ts';
import type { SeedPack } from './packs.ts';

/** The rows that do not depend on scale, in insertion (foreign-key) order. */
export interface StaticRows {
  tenants: Row[];
  pipeline_stages: Row[];
  staff_users: Row[];
  channel_accounts: Row[];
  channel_identities: Row[];
  catalogue_items: Row[];
  listings: Row[];
  playbook_entries: Row[];
  knowledge_chunks: Row[];
  followup_rules: Row[];
}

/** The UTC offset of `timeZone` at `atMs`, from Intl (no time-zone library needed). */
export function utcOffsetMs(timeZone: string, atMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(atMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(atMs / 1000) * 1000;
}

/**
 * Builds the tenant's fixed rows from its pack. Each section draws from its
 * own forked stream, so editing (say) the listings does not change the ids of
 * the staff or of any generated lead.
 */
export function buildStaticRows(pack: SeedPack, root: Rng, anchorMs: number): { rows: StaticRows; ctx: SeedContext } {
  const t = pack.tenant;
  const tenantId = root.fork('tenant').uuid();
  const base = { tenant_id: tenantId };
  const opened = anchorMs - 400 * DAY_MS;

  const tenants: Row[] = [
    {
      id: tenantId,
      slug: t.slug,
      name: t.name,
      vertical: t.vertical,
      default_locale: t.default_locale,
      locales: t.locales,
      currency: t.currency,
      timezone: t.timezone,
      settings: t.settings,
      created_at: iso(opened),
    },
  ];

  const stageRng = root.fork('stages');
  const pipeline_stages: Row[] = pack.stages.map((s) => ({
    id: stageRng.uuid(),
    ...base,
    key: s.key,
    names: s.names,
    position: s.position,
    is_won: s.is_won,
    is_lost: s.is_lost,
    base_probability: s.base_probability,
    allowed_next: s.allowed_next,
  }));

  const staffRng = root.fork('staff');
  const staff: StaffRef[] = [];
  const staff_users: Row[] = pack.staff.map((s, i) => {
    const id = staffRng.uuid();
    staff.push({ id, name: s.name, email: s.email, role: s.role, locale: s.locale });
    return {
      id,
      ...base,
      email: s.email,
      name: s.name,
      role: s.role,
      locale: s.locale,
      timezone: s.timezone,
      working_hours: s.working_hours,
      active: true,
      created_at: iso(opened + (i + 1) * DAY_MS),
    };
  });

  const accountRng = root.fork('accounts');
  const accountIds = new Map<string, string>();
  const channel_accounts: Row[] = pack.channel_accounts.map((a) => {
    const id = accountRng.uuid();
    if (!accountIds.has(a.channel)) accountIds.set(a.channel, id);
    return {
      id,
      ...base,
      channel: a.channel,
      name: a.name,
      external_id: a.external_id,
      config: a.config,
      secrets_enc: null,
      api_base_url: null,
      status: a.status,
      created_at: iso(opened),
    };
  });

  // Staff reach the assistant through Slack; local identities are the pipeline's to create.
  const slackAccount = accountIds.get('slack');
  const channel_identities: Row[] = slackAccount
    ? pack.staff.map((s, i) => ({
        id: accountRng.uuid(),
        ...base,
        channel_account_id: slackAccount,
        channel: 'slack',
        external_id: s.slack_user_id,
        staff_user_id: staff[i]!.id,
        lead_id: null,
        display_name: s.name,
        locale: s.locale,
        unreachable_at: null,
        created_at: iso(opened + (i + 1) * DAY_MS),
      }))
    : [];

  const itemRng = root.fork('catalogue');
  const catalogue_items: Row[] = (pack.catalogue ?? []).map((c) => ({
    id: itemRng.uuid(),
    ...base,
    sku: c.sku,
    names: c.names,
    descriptions: c.descriptions,
    category: c.category,
    price: c.price,
    currency: t.currency,
    sessions: c.sessions,
    duration_minutes: c.duration_minutes,
    targets: c.targets,
    attributes: c.attributes,
    active: true,
  }));

  const listingRng = root.fork('listings');
  const listings: Row[] = (pack.listings ?? []).map((l) => ({
    id: listingRng.uuid(),
    ...base,
    ref: l.ref,
    titles: l.titles,
    city: l.city,
    district: l.district,
    property_type: l.property_type,
    price: l.price,
    currency: t.currency,
    area_sqm: l.area_sqm,
    bedrooms: l.bedrooms,
    status: l.status,
    attributes: l.attributes,
    created_at: iso(anchorMs - listingRng.int(3, 240) * DAY_MS),
  }));

  const playRng = root.fork('playbooks');
  const playbook_entries: Row[] = pack.playbooks.map((p) => ({
    id: playRng.uuid(),
    ...base,
    kind: p.kind,
    category: p.category,
    locale: p.locale,
    title: p.title,
    body: p.body,
    data: p.data,
    embedding: toSqlVector(embedLocal(`${p.title}\n${p.body}`)),
    embedding_model: LOCAL_EMBEDDING_MODEL,
  }));

  const knowRng = root.fork('knowledge');
  const knowledge_chunks: Row[] = pack.knowledge.map((k) => ({
    id: knowRng.uuid(),
    ...base,
    source: k.source,
    locale: k.locale,
    title: k.title,
    body: k.body,
    embedding: toSqlVector(embedLocal(`${k.title}\n${k.body}`)),
    embedding_model: LOCAL_EMBEDDING_MODEL,
  }));

  const ruleRng = root.fork('followup_rules');
  const followup_rules: Row[] = pack.followup_rules.map((r) => ({
    id: ruleRng.uuid(),
    ...base,
    key: r.key,
    name: r.name,
    trigger: r.trigger,
    steps: r.steps,
    active: r.active,
  }));

  const byPosition = [...pack.stages].sort((a, b) => a.position - b.position);
  const openStages = byPosition.filter((s) => !s.is_won && !s.is_lost);
  const ctx: SeedContext = {
    pack,
    tenantId,
    anchorMs,
    utcOffsetMs: utcOffsetMs(t.timezone, anchorMs),
    openStages,
    // packs.ts guarantees exactly one of each.
    wonStage: byPosition.find((s) => s.is_won)!,
    lostStage: byPosition.find((s) => s.is_lost)!,
    dealStage: openStages.find((s) => s.opens_deal)!,
    staff,
    reps: staff.filter((s) => s.role === 'rep'),
    staffByEmail: new Map(staff.map((s) => [s.email.toLowerCase(), s])),
    accountIds,
    catalogue: pack.catalogue ?? [],
    listings: pack.listings ?? [],
  };

  return {
    rows: { tenants, pipeline_stages, staff_users, channel_accounts, channel_identities, catalogue_items, listings, playbook_entries, knowledge_chunks, followup_rules },
    ctx,
  };
}
