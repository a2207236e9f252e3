import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { LeadAttributes, SkinConcern, describeZodIssues, formatIssuePath } from '../../core/leads/attributes.ts';
import { ConfigError } from '../../errors.ts';
import { TRIGGER_EVENTS } from '../../core/followups/rules.ts';

/**
 * A vertical pack (db/seeds/*.json) is data, so people who sell can edit the
 * scripts without touching code. Everything in it is checked here, including
 * the things JSON cannot say: every text exists in every tenant locale,
 * stage keys referenced anywhere exist, templates only use known variables.
 */

export const SEEDS_DIR = fileURLToPath(new URL('../../../db/seeds/', import.meta.url));

export const OBJECTION_CATEGORIES = ['price', 'time', 'trust', 'need', 'competitor', 'authority', 'other'] as const;
const MIN_OBJECTIONS_PER_CATEGORY_AND_LOCALE = 2;
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
/** Variables a follow-up template or activity snippet may use. */
const TEMPLATE_VARIABLES = new Set([
  'first_name',
  'rep_name',
  'clinic_name',
  'agency_name',
  'treatment',
  'listing_title',
  'district',
  'price',
]);

const Hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time as HH:MM (24-hour)');
const Key = z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a lower_snake_case key');
const Email = z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'expected an email address');
const E164 = z.string().regex(/^\+[1-9][0-9]{6,14}$/, 'expected an E.164 phone number such as +66812345678');
const TimeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'expected an IANA time zone such as Asia/Bangkok');

function buildPackSchema(locales: readonly string[]) {
  const needLocales = (v: Record<string, unknown>, ctx: z.RefinementCtx) => {
    for (const l of locales) {
      if (!(l in v)) ctx.addIssue({ code: 'custom', message: `missing the "${l}" text: every tenant locale needs one`, path: [l] });
    }
  };
  const Localized = z.record(z.string(), z.string().min(1)).superRefine(needLocales);
  const LocalizedList = z.record(z.string(), z.array(z.string().min(1)).min(1)).superRefine(needLocales);
  const Locale = z.string().refine((l) => locales.includes(l), `expected one of the tenant locales (${locales.join(', ')})`);
  const Weights = z.record(z.string(), z.number().min(0));

  const Settings = z.looseObject({
    sla_response_minutes: z.number().int().positive(),
    grade_thresholds: z
      .strictObject({ A: z.number().int(), B: z.number().int(), C: z.number().int() })
      .refine((g) => 100 >= g.A && g.A > g.B && g.B > g.C && g.C > 0, 'expected 100 ≥ A > B > C > 0'),
    business_hours: z.strictObject({ start: Hhmm, end: Hhmm, days: z.array(z.enum(WEEKDAYS)).min(1) }),
    quiet_hours: z.strictObject({ start: Hhmm, end: Hhmm }),
    alert_cooldown_minutes: z.number().int().positive(),
    line_push_quota: z.number().int().positive().optional(),
    handoff_slack_channel: z.string().min(1),
  });

  const Stage = z.strictObject({
    key: Key,
    names: Localized,
    position: z.number().int().min(0),
    is_won: z.boolean(),
    is_lost: z.boolean(),
    base_probability: z.number().min(0).max(1),
    allowed_next: z.array(Key),
    // Pack-only hints for the generator; not stored.
    /** Reaching this stage opens a deal (a proposal or an offer). */
    opens_deal: z.boolean().optional(),
    /** The stage ends with an in-person meeting (the consultation, the viewing). */
    ends_with_meeting: z.boolean().optional(),
    /** The kind of task a rep typically has open for a lead in this stage. */
    task_kind: z.enum(['todo', 'call', 'meeting', 'consultation', 'callback', 'followup']).optional(),
  });

  const Staff = z.strictObject({
    name: z.string().min(1),
    email: Email,
    role: z.enum(['rep', 'manager', 'admin']),
    locale: Locale,
    timezone: TimeZone,
    working_hours: z.strictObject({ days: z.array(z.enum(WEEKDAYS)).min(1), start: Hhmm, end: Hhmm }),
    /** The demo Slack user id (U…), for the disabled Slack account. */
    slack_user_id: z.string().regex(/^U[A-Z0-9]{8,12}$/, 'expected a Slack user id such as U04ABCDEF12'),
  });

  const ChannelAccount = z.strictObject({
    channel: z.enum(['local', 'slack', 'telegram', 'line', 'msteams', 'webchat']),
    name: z.string().min(1),
    external_id: z.string().min(1),
    status: z.enum(['active', 'disabled']),
    config: z.record(z.string(), z.unknown()),
  });

  const CatalogueItem = z.strictObject({
    sku: z.string().regex(/^[A-Z0-9][A-Z0-9-]*$/, 'expected an upper-case SKU such as PICO-5'),
    names: Localized,
    descriptions: Localized,
    category: Key,
    price: z.number().min(0),
    sessions: z.number().int().positive().nullable(),
    duration_minutes: z.number().int().positive().nullable(),
    targets: z.array(SkinConcern),
    attributes: z.record(z.string(), z.unknown()),
  });

  const PropertyType = z.enum(['villa', 'apartment', 'townhouse', 'land', 'duplex']);
  const Listing = z.strictObject({
    ref: z.string().regex(/^[A-Z]{2,4}-\d{3,6}$/, 'expected a listing ref such as RUH-1001'),
    titles: Localized,
    city: z.string().min(1),
    district: z.string().min(1),
    property_type: PropertyType,
    price: z.number().positive(),
    area_sqm: z.number().positive(),
    bedrooms: z.number().int().min(0).nullable(),
    status: z.enum(['available', 'reserved', 'sold', 'withdrawn']),
    attributes: z.record(z.string(), z.unknown()),
  });

  const District = z.strictObject({ city: z.string().min(1), name: z.string().min(1), names: Localized, zone: z.string().optional() });

  const Playbook = z.strictObject({
    kind: z.enum(['objection', 'stage', 'closing', 'upsell']),
    category: z.string().min(1),
    locale: Locale,
    title: z.string().min(1),
    body: z.string().min(1),
    data: z.record(z.string(), z.unknown()),
  });

  const Knowledge = z.strictObject({ source: Key, locale: Locale, title: z.string().min(1), body: z.string().min(1) });

  const FollowupRule = z.strictObject({
    key: Key,
    name: z.string().min(1),
    trigger: z
      .strictObject({
        /**
         * stage_entered: when a lead enters `stage`; stage_idle: no activity for after_minutes while in `stage`; no_reply: our last message got no
         * answer for after_minutes; lead_created (optionally only for `sources`); appointment_booked / appointment_completed; listing_matched.
         */
        event: z.enum(TRIGGER_EVENTS),
        stage: Key.optional(),
        after_minutes: z.number().int().positive().optional(),
        sources: z.array(Key).min(1).optional(),
      })
      .refine((t) => t.event !== 'stage_entered' || t.stage !== undefined, { message: 'a stage_entered rule needs a stage' })
      .refine((t) => t.sources === undefined || t.event === 'lead_created', { message: 'sources only applies to lead_created rules' }),
    steps: z
      .array(
        z.strictObject({
          delay_minutes: z.number().int().min(0),
          channel: z.enum(['auto', 'line', 'telegram', 'local']),
          templates: Localized,
        }),
      )
      .min(1),
    active: z.boolean(),
  });

  const NamePair = z.strictObject({ script: z.string().min(1), latin: z.string().regex(/^[A-Za-z][A-Za-z' -]*$/, 'expected a romanised name') });

  const Source = z.strictObject({
    key: Key,
    weight: z.number().min(0),
    /** Where conversations with leads from this source happen (activity.channel). */
    channel: z.string().min(1),
    /** Share of these leads that have a chat identity on the pack's identity channel. */
    identity_share: z.number().min(0).max(1),
  });

  const BuyerRequest = z.strictObject({
    cities: z.array(z.string().min(1)),
    districts: z.array(z.string().min(1)),
    property_types: z.array(PropertyType),
    price_min: z.number().min(0).nullable(),
    price_max: z.number().min(0).nullable(),
    area_min: z.number().min(0).nullable(),
    area_max: z.number().min(0).nullable(),
    bedrooms_min: z.number().int().min(0).nullable(),
  });

  const ScenarioLead = z.strictObject({
    key: Key,
    first_name: z.string().min(1),
    last_name: z.string().min(1).nullable(),
    display_name: z.string().min(1),
    locale: Locale,
    source: Key,
    stage_key: Key,
    owner_email: Email.nullable(),
    budget: z.number().min(0).nullable(),
    consent: z.enum(['opted_in', 'opted_out', 'unknown']),
    phone: E164.nullable(),
    email: Email.nullable(),
    score: z.number().int().min(0).max(100).nullable(),
    created_days_ago: z.number().int().min(0).max(365),
    /** Catalogue SKU or listing ref the lead asked about. */
    interest: z.string().min(1),
    attributes: LeadAttributes,
    /** Other spellings people use for this person (e.g. "Nok" for นก); generated names must not contain them. */
    aliases: z.array(z.string().min(1)).optional(),
    identity: z.strictObject({ channel: z.enum(['line', 'telegram']), external_id: z.string().min(1) }).nullable(),
    buyer_request: BuyerRequest.nullable(),
  });

  return z.strictObject({
    tenant: z.strictObject({
      slug: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'expected a lower-case slug such as demo-clinic'),
      name: z.string().min(1),
      vertical: z.enum(['clinic', 'realty']),
      default_locale: Locale,
      locales: z.array(z.string().regex(/^[a-z]{2}$/, 'expected a two-letter language code')).min(1),
      currency: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code such as THB'),
      timezone: TimeZone,
      settings: Settings,
    }),
    /** The chat channel whose identities generated leads get (LINE user ids, Telegram chat ids). */
    lead_identity_channel: z.enum(['line', 'telegram']),
    phone_country_code: z.string().regex(/^[1-9]\d{0,2}$/),
    /** National significant number prefixes for mobiles, e.g. ["8", "9"] for Thailand. */
    mobile_prefixes: z.array(z.string().regex(/^\d+$/)).min(1),
    mobile_digits: z.number().int().min(6).max(12),
    email_domains: z.array(z.string().regex(/^[a-z0-9.-]+\.[a-z]+$/)).min(1),
    stages: z.array(Stage).min(3),
    staff: z.array(Staff).min(1),
    channel_accounts: z.array(ChannelAccount).min(1),
    catalogue: z.array(CatalogueItem).optional(),
    listings: z.array(Listing).optional(),
    districts: z.array(District).min(1),
    sources: z.array(Source).min(1),
    lost_reasons: z.array(z.strictObject({ key: Key, names: Localized })).min(1),
    names: z.strictObject({
      native_first: z.array(NamePair).min(10),
      native_last: z.array(NamePair).min(10),
      foreign_first: z.array(z.string().min(1)).min(5),
      foreign_last: z.array(z.string().min(1)).min(5),
    }),
    lead_mix: z.strictObject({
      stages: Weights,
      /** How generated leads write their names: in the native script, romanised, or a foreign name. */
      name_styles: z.strictObject({ native_script: z.number().min(0), native_latin: z.number().min(0), foreign: z.number().min(0) }),
      consent: z.strictObject({ opted_in: z.number().min(0), unknown: z.number().min(0), opted_out: z.number().min(0) }),
      unassigned_share: z.number().min(0).max(1),
      phone_share: z.number().min(0).max(1),
      email_share: z.number().min(0).max(1),
      scored_share: z.number().min(0).max(1),
    }),
    snippets: z.strictObject({
      /** How leads open the conversation (an enquiry, not a reply). */
      first_message: LocalizedList,
      message_in: LocalizedList,
      message_out: LocalizedList,
      call: LocalizedList,
      note: LocalizedList,
      meeting: LocalizedList,
      task_titles: z.record(z.enum(['todo', 'call', 'meeting', 'consultation', 'callback', 'followup']), LocalizedList),
    }),
    playbooks: z.array(Playbook),
    knowledge: z.array(Knowledge).min(1),
    followup_rules: z.array(FollowupRule),
    scenario: z.array(ScenarioLead),
  });
}

export type SeedPack = z.infer<ReturnType<typeof buildPackSchema>>;
export type PackStage = SeedPack['stages'][number];
export type PackListing = NonNullable<SeedPack['listings']>[number];
export type PackCatalogueItem = NonNullable<SeedPack['catalogue']>[number];
export type PackScenarioLead = SeedPack['scenario'][number];

type Issue = { path: (string | number)[]; message: string };

/** Checks that need more than one field: references between sections, coverage per locale. */
function crossCheck(pack: SeedPack): Issue[] {
  const issues: Issue[] = [];
  const { locales } = pack.tenant;
  const stageKeys = new Set(pack.stages.map((s) => s.key));
  const sourceKeys = new Set(pack.sources.map((s) => s.key));
  const staffEmails = new Set(pack.staff.map((s) => s.email.toLowerCase()));

  pack.stages.forEach((s, i) => {
    s.allowed_next.forEach((k, j) => {
      if (!stageKeys.has(k)) issues.push({ path: ['stages', i, 'allowed_next', j], message: `unknown stage "${k}"` });
    });
    if (s.is_won && s.is_lost) issues.push({ path: ['stages', i], message: 'a stage cannot be both won and lost' });
  });
  if (new Set(pack.stages.map((s) => s.key)).size !== pack.stages.length) issues.push({ path: ['stages'], message: 'stage keys must be unique' });
  if (pack.stages.filter((s) => s.is_won).length !== 1) issues.push({ path: ['stages'], message: 'exactly one stage must have is_won' });
  if (pack.stages.filter((s) => s.is_lost).length !== 1) issues.push({ path: ['stages'], message: 'exactly one stage must have is_lost' });
  if (pack.stages.filter((s) => s.opens_deal && !s.is_won && !s.is_lost).length !== 1) {
    issues.push({ path: ['stages'], message: 'exactly one open stage must have opens_deal (the proposal or offer stage)' });
  }
  // Generated leads walk the open stages in position order, so each must allow the next.
  const open = pack.stages.filter((s) => !s.is_won && !s.is_lost).sort((a, b) => a.position - b.position);
  open.slice(0, -1).forEach((s, i) => {
    const next = open[i + 1]!.key;
    if (!s.allowed_next.includes(next)) issues.push({ path: ['stages', s.key, 'allowed_next'], message: `must include the next open stage "${next}"` });
  });
  if (new Set(pack.stages.map((s) => s.position)).size !== pack.stages.length) issues.push({ path: ['stages'], message: 'stage positions must be unique' });
  for (const k of stageKeys) {
    if (!(k in pack.lead_mix.stages)) issues.push({ path: ['lead_mix', 'stages', k], message: 'missing weight: every stage needs one' });
  }
  for (const k of Object.keys(pack.lead_mix.stages)) {
    if (!stageKeys.has(k)) issues.push({ path: ['lead_mix', 'stages', k], message: `unknown stage "${k}"` });
  }

  for (const role of ['rep', 'manager', 'admin'] as const) {
    if (!pack.staff.some((s) => s.role === role)) issues.push({ path: ['staff'], message: `needs at least one ${role}` });
  }
  if (staffEmails.size !== pack.staff.length) issues.push({ path: ['staff'], message: 'staff emails must be unique' });
  if (!pack.channel_accounts.some((a) => a.channel === 'local' && a.external_id === `local:${pack.tenant.slug}`)) {
    issues.push({ path: ['channel_accounts'], message: `needs a local account with external_id "local:${pack.tenant.slug}"` });
  }
  for (const ch of [pack.lead_identity_channel, 'slack']) {
    if (!pack.channel_accounts.some((a) => a.channel === ch)) issues.push({ path: ['channel_accounts'], message: `needs a ${ch} account` });
  }

  if (pack.tenant.vertical === 'clinic' && (pack.catalogue?.length ?? 0) < 12) issues.push({ path: ['catalogue'], message: 'a clinic pack needs at least 12 catalogue items' });
  if (pack.tenant.vertical === 'realty' && (pack.listings?.length ?? 0) < 40) issues.push({ path: ['listings'], message: 'a realty pack needs at least 40 listings' });
  const refs = new Set([...(pack.catalogue ?? []).map((c) => c.sku), ...(pack.listings ?? []).map((l) => l.ref)]);

  for (const locale of locales) {
    for (const cat of OBJECTION_CATEGORIES) {
      const n = pack.playbooks.filter((p) => p.kind === 'objection' && p.category === cat && p.locale === locale).length;
      if (n < MIN_OBJECTIONS_PER_CATEGORY_AND_LOCALE) {
        issues.push({ path: ['playbooks'], message: `needs at least ${MIN_OBJECTIONS_PER_CATEGORY_AND_LOCALE} "${cat}" objection entries in "${locale}" (has ${n})` });
      }
    }
    for (const k of stageKeys) {
      if (!pack.playbooks.some((p) => p.kind === 'stage' && p.category === k && p.locale === locale)) {
        issues.push({ path: ['playbooks'], message: `needs a "stage" entry for stage "${k}" in "${locale}"` });
      }
    }
  }
  pack.playbooks.forEach((p, i) => {
    if (p.kind === 'objection' && !(OBJECTION_CATEGORIES as readonly string[]).includes(p.category)) {
      issues.push({ path: ['playbooks', i, 'category'], message: `expected one of ${OBJECTION_CATEGORIES.join(', ')}` });
    }
    if (p.kind === 'stage') {
      if (!stageKeys.has(p.category)) issues.push({ path: ['playbooks', i, 'category'], message: `unknown stage "${p.category}"` });
      for (const field of ['suggestion', 'talking_points', 'closing_technique']) {
        if (!(field in p.data)) issues.push({ path: ['playbooks', i, 'data', field], message: 'stage entries need suggestion, talking_points and closing_technique' });
      }
    }
  });
  const knowledgeSources = new Set(pack.knowledge.map((k) => k.source));
  for (const source of knowledgeSources) {
    for (const locale of locales) {
      if (!pack.knowledge.some((k) => k.source === source && k.locale === locale)) {
        issues.push({ path: ['knowledge'], message: `source "${source}" has no "${locale}" chunk` });
      }
    }
  }

  pack.followup_rules.forEach((r, i) => {
    if (r.trigger.stage !== undefined && !stageKeys.has(r.trigger.stage)) issues.push({ path: ['followup_rules', i, 'trigger', 'stage'], message: `unknown stage "${r.trigger.stage}"` });
    r.steps.forEach((step, j) => {
      for (const [locale, text] of Object.entries(step.templates)) {
        for (const bad of unknownVariables(text)) {
          issues.push({ path: ['followup_rules', i, 'steps', j, 'templates', locale], message: `unknown template variable {{${bad}}}` });
        }
      }
    });
  });
  for (const [group, byLocale] of Object.entries(pack.snippets)) {
    const lists: Array<[string[], string[]]> =
      group === 'task_titles'
        ? Object.entries(byLocale as Record<string, Record<string, string[]>>).flatMap(([kind, m]) => Object.entries(m).map(([l, list]) => [[group, kind, l], list] as [string[], string[]]))
        : Object.entries(byLocale as Record<string, string[]>).map(([l, list]) => [[group, l], list] as [string[], string[]]);
    for (const [p, list] of lists) {
      list.forEach((text, j) => {
        for (const bad of unknownVariables(text)) issues.push({ path: ['snippets', ...p, j], message: `unknown template variable {{${bad}}}` });
      });
    }
  }

  pack.sources.forEach((s, i) => {
    if (pack.lead_mix.stages[s.key] !== undefined) issues.push({ path: ['sources', i], message: 'a source key must not equal a stage key' });
  });
  // Generated names must not contain a scenario person's name, so that a
  // name search ("Faisal", "Nok", "Somjai") finds exactly the planned people:
  // searches match substrings, and Kamonchanok contains "nok".
  const reserved = [...new Set(pack.scenario.flatMap((s) => [s.first_name, ...(s.aliases ?? [])].map((n) => n.toLowerCase())))];
  const clash = (name: string) => reserved.find((r) => name.toLowerCase().includes(r));
  for (const key of ['native_first', 'native_last'] as const) {
    pack.names[key].forEach((n, i) => {
      const hit = clash(n.script) ?? clash(n.latin);
      if (hit) issues.push({ path: ['names', key, i], message: `"${n.latin}" contains the scenario name "${hit}"; generated leads must not` });
    });
  }
  for (const key of ['foreign_first', 'foreign_last'] as const) {
    pack.names[key].forEach((n, i) => {
      const hit = clash(n);
      if (hit) issues.push({ path: ['names', key, i], message: `"${n}" contains the scenario name "${hit}"; generated leads must not` });
    });
  }
  pack.scenario.forEach((s, i) => {
    if (!stageKeys.has(s.stage_key)) issues.push({ path: ['scenario', i, 'stage_key'], message: `unknown stage "${s.stage_key}"` });
    if (!sourceKeys.has(s.source)) issues.push({ path: ['scenario', i, 'source'], message: `unknown source "${s.source}"` });
    if (s.owner_email && !staffEmails.has(s.owner_email.toLowerCase())) issues.push({ path: ['scenario', i, 'owner_email'], message: `no staff member has email ${s.owner_email}` });
    if (!refs.has(s.interest)) issues.push({ path: ['scenario', i, 'interest'], message: `no catalogue item or listing "${s.interest}"` });
  });
  for (const l of pack.listings ?? []) {
    if (!pack.districts.some((d) => d.city === l.city && d.name === l.district)) {
      issues.push({ path: ['listings', l.ref, 'district'], message: `district "${l.district}" in ${l.city} is not in districts` });
    }
  }
  return issues;
}

function unknownVariables(text: string): string[] {
  return [...text.matchAll(/\{\{\s*([a-z_]+)\s*\}\}/g)].map((m) => m[1] ?? '').filter((v) => !TEMPLATE_VARIABLES.has(v));
}

/** Validates a parsed pack; `label` names it in the error (a file path). */
export function parseSeedPack(value: unknown, label: string): SeedPack {
  const head = z.object({ tenant: z.object({ locales: z.array(z.string()) }) }).safeParse(value);
  const locales = head.success ? head.data.tenant.locales : [];
  const result = buildPackSchema(locales).safeParse(value);
  if (!result.success) throw new ConfigError(`${label} is not a valid seed pack: ${describeZodIssues(result.error)}`);
  const issues = crossCheck(result.data);
  if (issues.length > 0) {
    const text = issues.map((i) => `${formatIssuePath(i.path)}: ${i.message}`).join('; ');
    throw new ConfigError(`${label} is not a valid seed pack: ${text}`);
  }
  return result.data;
}

/** Reads and validates every db/seeds/*.json pack, keyed by tenant slug. */
export function loadSeedPacks(dir = SEEDS_DIR): Map<string, SeedPack> {
  const packs = new Map<string, SeedPack>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const full = path.join(dir, file);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(full, 'utf8'));
    } catch (err) {
      throw new ConfigError(`${full} is not valid JSON: ${(err as Error).message}`);
    }
    const pack = parseSeedPack(raw, full);
    if (packs.has(pack.tenant.slug)) throw new ConfigError(`${full}: tenant slug "${pack.tenant.slug}" is used by another pack`);
    packs.set(pack.tenant.slug, pack);
  }
  return packs;
}
