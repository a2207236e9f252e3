import type { Rng } from '../../core/random.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, iso, localized, type LeadProfile, type Row, type SeedContext, type StaffRef, type Vertical } from './context.ts';
import { leadTimeline, planActivities, shapeTime } from './timeline.ts';
import type { PackScenarioLead, PackStage, SeedPack } from './packs.ts';

/** One lead and everything hanging off it, ready to insert. */
export interface LeadBundle {
  lead: Row;
  identity: Row | null;
  buyerRequest: Row | null;
  deals: Row[];
  activities: Row[];
  tasks: Row[];
}

type Source = SeedPack['sources'][number];
interface LeadSpec {
  id: string;
  firstName: string;
  lastName: string | null;
  displayName: string;
  /** Other spellings people search by (a Thai or Arabic name in Latin letters). */
  aliases: string[];
  locale: string;
  source: Source;
  stage: PackStage;
  owner: StaffRef | null;
  consent: 'opted_in' | 'opted_out' | 'unknown';
  phone: string | null;
  email: string | null;
  /** Fixed for scenario people; otherwise drawn for some open leads. */
  score: number | null | undefined;
  createdDaysAgo: number | undefined;
  identityExternalId: string | null;
  profile: (createdAtMs: number) => LeadProfile;
}

export function gradeFor(score: number, t: { A: number; B: number; C: number }): 'A' | 'B' | 'C' | 'D' {
  return score >= t.A ? 'A' : score >= t.B ? 'B' : score >= t.C ? 'C' : 'D';
}

function formatNumber(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (m, name: string) => vars[name] ?? m);
}

function hex(rng: Rng, length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(rng.next() * 0x100000000).toString(16).padStart(8, '0');
  return out.slice(0, length);
}

/**
 * Generates leads with a believable history: a stage path walked in order,
 * activities spread between the first message and the last touch (never
 * after the anchor, in local waking hours), deals opened at the proposal or
 * offer stage and closed at won/lost, tasks around the anchor, and the lead's
 * summary columns (last contact, last inbound, next follow-up) derived from
 * those rows rather than drawn separately.
 */
export class LeadFactory {
  private readonly usedExternalIds = new Set<string>();
  private readonly stageWeights: Array<readonly [PackStage, number]>;
  private readonly sourceWeights: Array<readonly [Source, number]>;
  private readonly repWeights: Array<readonly [StaffRef, number]>;

  constructor(
    private readonly ctx: SeedContext,
    private readonly vertical: Vertical,
    private readonly rng: Rng,
    private readonly scenarioRng: Rng,
  ) {
    const { pack } = ctx;
    this.stageWeights = pack.stages.map((s) => [s, pack.lead_mix.stages[s.key] ?? 0] as const);
    this.sourceWeights = pack.sources.map((s) => [s, s.weight] as const);
    // Uneven loads, as in any real team.
    this.repWeights = ctx.reps.map((r, i) => [r, 1 + (i % 3) * 0.35] as const);
    for (const s of pack.scenario) if (s.identity) this.usedExternalIds.add(s.identity.external_id);
  }

  scenario(s: PackScenarioLead): LeadBundle {
    const { ctx, vertical } = this;
    const stage = ctx.pack.stages.find((x) => x.key === s.stage_key)!;
    const source = ctx.pack.sources.find((x) => x.key === s.source)!;
    return this.build(this.scenarioRng, {
      id: this.scenarioRng.uuid(),
      firstName: s.first_name,
      lastName: s.last_name,
      displayName: s.display_name,
      aliases: s.aliases ?? [],
      locale: s.locale,
      source,
      stage,
      owner: s.owner_email ? (ctx.staffByEmail.get(s.owner_email.toLowerCase()) ?? null) : null,
      consent: s.consent,
      phone: s.phone,
      email: s.email,
      score: s.score,
      createdDaysAgo: s.created_days_ago,
      identityExternalId: s.identity?.external_id ?? null,
      profile: (createdAt) => vertical.scenarioProfile(s, ctx, createdAt),
    });
  }

  next(): LeadBundle {
    const { ctx, vertical, rng } = this;
    const { pack } = ctx;
    const mix = pack.lead_mix;
    const id = rng.uuid();
    const stage = rng.weighted(this.stageWeights);
    const style = rng.weighted([
      ['native_script', mix.name_styles.native_script],
      ['native_latin', mix.name_styles.native_latin],
      ['foreign', mix.name_styles.foreign],
    ] as const);
    const first = rng.pick(pack.names.native_first);
    const last = rng.pick(pack.names.native_last);
    let firstName: string;
    let lastName: string | null;
    let latin: [string, string];
    if (style === 'foreign') {
      firstName = rng.pick(pack.names.foreign_first);
      lastName = rng.pick(pack.names.foreign_last);
      latin = [firstName, lastName];
    } else {
      firstName = style === 'native_script' ? first.script : first.latin;
      lastName = style === 'native_script' ? last.script : last.latin;
      latin = [first.latin, last.latin];
    }
    // Chat display names are often just a first name.
    if (style === 'native_script' && rng.chance(0.2)) lastName = null;
    const english = pack.tenant.locales.includes('en') ? 'en' : pack.tenant.default_locale;
    const locale = style === 'foreign' ? english : style === 'native_latin' && rng.chance(0.15) ? english : pack.tenant.default_locale;

    const source = rng.weighted(this.sourceWeights);
    const unassigned = stage.position === 0 ? rng.chance(0.5) : rng.chance(mix.unassigned_share * 0.5);
    const owner = unassigned ? null : this.pickRep(rng, locale);
    const consent = rng.weighted([
      ['opted_in', mix.consent.opted_in],
      ['unknown', mix.consent.unknown],
      ['opted_out', mix.consent.opted_out],
    ] as const);
    const phone = rng.chance(mix.phone_share) ? this.phone(rng) : null;
    const email = rng.chance(mix.email_share) ? this.email(rng, latin, lastName === null) : null;
    const identityExternalId = rng.chance(source.identity_share) ? this.externalId(rng) : null;

    return this.build(rng, {
      id,
      firstName,
      lastName,
      displayName: lastName ? `${firstName} ${lastName}` : firstName,
      // A name in Thai or Arabic script is also findable by its Latin spelling (no RNG draw: keeps the data identical).
      aliases: style === 'native_script' ? [lastName ? latin.join(' ') : latin[0]] : [],
      locale,
      source,
      stage,
      owner,
      consent,
      phone,
      email,
      score: undefined,
      createdDaysAgo: undefined,
      identityExternalId,
      profile: (createdAt) => vertical.profile(rng, ctx, createdAt),
    });
  }

  private pickRep(rng: Rng, locale: string): StaffRef {
    if (locale !== this.ctx.pack.tenant.default_locale) {
      const speakers = this.ctx.reps.filter((r) => r.locale === locale);
      if (speakers.length > 0 && rng.chance(0.6)) return rng.pick(speakers);
    }
    return rng.weighted(this.repWeights);
  }

  private phone(rng: Rng): string {
    const { pack } = this.ctx;
    const prefix = rng.pick(pack.mobile_prefixes);
    let digits = prefix;
    while (digits.length < pack.mobile_digits) digits += String(rng.int(0, 9));
    return `+${pack.phone_country_code}${digits}`;
  }

  private email(rng: Rng, [first, last]: [string, string], firstOnly: boolean): string {
    const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
    const local = firstOnly ? clean(first) : `${clean(first)}.${clean(last)}`;
    const suffix = rng.chance(0.5) ? String(rng.int(1, 99)) : '';
    return `${local}${suffix}@${rng.pick(this.ctx.pack.email_domains)}`;
  }

  /** A chat id on the pack's identity channel, unique within the tenant. */
  private externalId(rng: Rng): string {
    for (;;) {
      const id =
        this.ctx.pack.lead_identity_channel === 'line'
          ? `U${hex(rng, 32)}`
          : String(100_000_000 + Math.floor(rng.next() * 6_900_000_000));
      if (!this.usedExternalIds.has(id)) {
        this.usedExternalIds.add(id);
        return id;
      }
    }
  }

  private build(rng: Rng, spec: LeadSpec): LeadBundle {
    const { ctx, vertical } = this;
    const { pack, tenantId, anchorMs } = ctx;
    const tenantLocale = pack.tenant.default_locale;
    const { path, start, end } = leadTimeline(rng, ctx, spec.stage, spec.createdDaysAgo);
    const profile = spec.profile(start);
    const owner = spec.owner;
    const channel = spec.identityExternalId ? pack.lead_identity_channel : spec.source.channel;
    const snippets = pack.snippets;
    const vars: Record<string, string> = {
      first_name: spec.firstName,
      rep_name: owner ? owner.name.split(' ')[0]! : pack.tenant.name,
      [vertical.businessVariable]: pack.tenant.name,
      [vertical.itemVariable]: localized(profile.interest.titles, spec.locale, tenantLocale),
      district: localized(profile.district, spec.locale, tenantLocale),
      price: formatNumber(profile.interest.price),
    };
    const say = (list: Record<string, string[]>) => fill(rng.pick(list[spec.locale] ?? list[tenantLocale]!), vars);

    // Activities: planned in order, then given sorted times.
    const planned = planActivities(rng, path, {
      closed: spec.stage.is_won || spec.stage.is_lost,
      firstByPhone: spec.source.channel === 'phone',
      owned: owner !== null,
      hasEmail: spec.email !== null,
    });
    const times: number[] = [start];
    for (let i = 1; i < planned.length; i++) times.push(shapeTime(rng, ctx, start + rng.next() * (end - start), start));
    times.sort((a, b) => a - b);
    const enteredAt: number[] = [start];
    let lastInbound: number | null = null;
    let lastOutbound: number | null = null;
    const staffId = owner?.id ?? null;
    const activities: Row[] = planned.map((p, i) => {
      const at = times[i]!;
      let row: { staff: string | null; channel: string | null; body: string | null; data: Record<string, unknown> };
      switch (p.kind) {
        case 'message_in':
          row = { staff: null, channel, body: say(p.first ? snippets.first_message : snippets.message_in), data: {} };
          break;
        case 'message_out':
          row = { staff: staffId, channel, body: say(snippets.message_out), data: owner ? {} : { author: 'bot' } };
          break;
        case 'call':
          row = {
            staff: staffId,
            channel: 'phone',
            body: say(snippets.call),
            data: { direction: p.inbound ? 'in' : 'out', duration_seconds: rng.int(0, 12) === 0 ? 0 : rng.int(40, 900) },
          };
          break;
        case 'email':
          row = { staff: staffId, channel: 'email', body: say(snippets.message_out), data: { subject: vars[vertical.itemVariable] } };
          break;
        case 'note':
          row = { staff: staffId, channel: null, body: say(snippets.note), data: {} };
          break;
        case 'meeting':
          row = { staff: staffId, channel: null, body: say(snippets.meeting), data: { type: vertical.meetingType, item_ref: profile.interest.ref } };
          break;
        case 'stage_change':
          enteredAt.push(at);
          row = { staff: staffId, channel: null, body: `${p.from} → ${p.to}`, data: { from: p.from, to: p.to } };
          break;
      }
      if (p.kind === 'message_in' || (p.kind === 'call' && p.inbound)) lastInbound = at;
      else if (p.kind !== 'note' && p.kind !== 'stage_change') lastOutbound = at;
      return {
        id: rng.uuid(),
        tenant_id: tenantId,
        lead_id: spec.id,
        staff_user_id: row.staff,
        kind: p.kind,
        channel: row.channel,
        body: row.body,
        data: row.data,
        occurred_at: iso(at),
      };
    });
    const createdAt = times[0]!;
    const lastAt = times[times.length - 1]!;

    // Deals: opened on entering the proposal/offer stage, closed with the lead.
    const deals: Row[] = [];
    const wonRefs: string[] = [];
    const dealIdx = path.findIndex((s) => s.key === ctx.dealStage.key);
    const closedAt = spec.stage.is_won || spec.stage.is_lost ? enteredAt[enteredAt.length - 1]! : null;
    const dealRow = (interest: LeadProfile['interest'], status: 'open' | 'won' | 'lost', opened: number): Row => ({
      id: rng.uuid(),
      tenant_id: tenantId,
      lead_id: spec.id,
      owner_id: staffId,
      title: localized(interest.titles, spec.locale, tenantLocale),
      amount: vertical.dealAmount(rng, interest),
      currency: pack.tenant.currency,
      status,
      item_ref: interest.ref,
      lost_reason: status === 'lost' ? rng.pick(pack.lost_reasons).key : null,
      created_at: iso(opened),
      closed_at: status === 'open' ? null : iso(closedAt!),
    });
    const openedAt = enteredAt[dealIdx >= 0 ? dealIdx : Math.max(0, path.length - 2)]!;
    if (spec.stage.is_won) {
      deals.push(dealRow(profile.interest, 'won', openedAt));
      wonRefs.push(profile.interest.ref);
      const extra = profile.extras[0];
      if (extra && rng.chance(0.25)) {
        deals.push(dealRow(extra, 'won', openedAt));
        wonRefs.push(extra.ref);
      }
    } else if (spec.stage.is_lost) {
      if (dealIdx >= 0 || (path.length >= 4 && rng.chance(0.35))) deals.push(dealRow(profile.interest, 'lost', openedAt));
    } else if (dealIdx >= 0) {
      deals.push(dealRow(profile.interest, 'open', openedAt));
    }

    // Tasks: an open one for about half the open leads, done ones in the past.
    const tasks: Row[] = [];
    let nextFollowup: number | null = null;
    const assigneeLocale = owner && pack.tenant.locales.includes(owner.locale) ? owner.locale : tenantLocale;
    // Task titles are read by the assignee, so names of things follow their locale.
    const taskVars = {
      ...vars,
      [vertical.itemVariable]: localized(profile.interest.titles, assigneeLocale, tenantLocale),
      district: localized(profile.district, assigneeLocale, tenantLocale),
    };
    const taskTitle = (kind: string) => {
      const byLocale = snippets.task_titles[kind as keyof typeof snippets.task_titles] ?? snippets.task_titles.todo!;
      return fill(rng.pick(byLocale[assigneeLocale] ?? byLocale[tenantLocale]!), taskVars);
    };
    const taskRow = (kind: string, due: number, created: number, status: 'open' | 'done' | 'cancelled', completed: number | null): Row => ({
      id: rng.uuid(),
      tenant_id: tenantId,
      lead_id: spec.id,
      assignee_id: staffId,
      kind,
      title: taskTitle(kind),
      due_at: iso(due),
      status,
      created_at: iso(created),
      completed_at: completed === null ? null : iso(completed),
    });
    if (path.length > 1) {
      const workStages = path.filter((s) => s.task_kind);
      for (let n = rng.chance(0.6) ? rng.int(1, 2) : 0; n > 0; n--) {
        const due = shapeTime(rng, ctx, start + rng.next() * (lastAt - start), start);
        const status = rng.chance(0.06) ? 'cancelled' : 'done';
        const done = status === 'done' ? shapeTime(rng, ctx, due + rng.float(-2, 6) * HOUR_MS, start) : null;
        const kind = workStages.length > 0 ? rng.pick(workStages).task_kind! : 'followup';
        tasks.push(taskRow(kind, due, Math.max(start, due - rng.float(0.5, 3) * DAY_MS), status, done));
      }
    }
    if (!spec.stage.is_won && !spec.stage.is_lost && rng.chance(0.5)) {
      const due = Math.max(anchorMs + rng.float(-3, 7) * DAY_MS, lastAt + HOUR_MS);
      nextFollowup = due;
      tasks.push(taskRow(spec.stage.task_kind ?? 'followup', due, lastAt, 'open', null));
    }

    let score = spec.score;
    if (score === undefined) {
      const open = !spec.stage.is_won && !spec.stage.is_lost;
      score = open && rng.chance(pack.lead_mix.scored_share)
        ? Math.max(0, Math.min(100, Math.round(35 + spec.stage.base_probability * 55 + rng.float(-15, 20))))
        : null;
    }
    const consentAt =
      spec.consent === 'opted_in' ? Math.min(createdAt + rng.int(1, 30) * MINUTE_MS, anchorMs - MINUTE_MS)
      : spec.consent === 'opted_out' ? shapeTime(rng, ctx, createdAt + rng.next() * (lastAt - createdAt), createdAt)
      : null;

    const lead: Row = {
      id: spec.id,
      tenant_id: tenantId,
      first_name: spec.firstName,
      last_name: spec.lastName,
      display_name: spec.displayName,
      aliases: spec.aliases,
      phone: spec.phone,
      email: spec.email,
      source: spec.source.key,
      stage_key: spec.stage.key,
      owner_id: staffId,
      score,
      grade: score === null ? null : gradeFor(score, pack.tenant.settings.grade_thresholds),
      score_factors: score === null ? null : { seeded: true },
      scored_at: score === null ? null : iso(Math.max(lastAt, anchorMs - rng.float(0, 3) * DAY_MS)),
      consent: spec.consent,
      consent_changed_at: consentAt === null ? null : iso(consentAt),
      locale: spec.locale,
      timezone: pack.tenant.timezone,
      budget: profile.budget,
      attributes: vertical.withPurchases(profile.attributes, wonRefs),
      unreachable: spec.stage.is_lost && rng.chance(0.05),
      last_contact_at: lastOutbound === null ? null : iso(lastOutbound),
      last_inbound_at: lastInbound === null ? null : iso(lastInbound),
      next_followup_at: nextFollowup === null ? null : iso(nextFollowup),
      created_at: iso(createdAt),
      updated_at: iso(lastAt),
    };

    const accountId = ctx.accountIds.get(pack.lead_identity_channel);
    const identity: Row | null =
      spec.identityExternalId && accountId
        ? {
            id: rng.uuid(),
            tenant_id: tenantId,
            channel_account_id: accountId,
            channel: pack.lead_identity_channel,
            external_id: spec.identityExternalId,
            staff_user_id: null,
            lead_id: spec.id,
            display_name: spec.displayName,
            locale: spec.locale,
            unreachable_at: null,
            created_at: iso(createdAt),
          }
        : null;

    const req = profile.buyerRequest;
    const buyerRequest: Row | null = req
      ? {
          id: rng.uuid(),
          tenant_id: tenantId,
          lead_id: spec.id,
          ...req,
          status: spec.stage.is_won ? 'closed' : spec.stage.is_lost ? (rng.chance(0.5) ? 'paused' : 'closed') : 'active',
          created_at: iso(Math.min(createdAt + rng.int(5, 60) * MINUTE_MS, lastAt)),
          updated_at: iso(lastAt),
        }
      : null;

    return { lead, identity, buyerRequest, deals, activities, tasks };
  }
}
