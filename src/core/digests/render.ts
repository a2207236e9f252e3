import { DateTime } from 'luxon';
import { translator } from '../../agents/i18n.ts';
import { formatChange, formatValue } from '../bi/format.ts';
import { formatDate } from '../format.ts';
import { outbound, type OutboundMessage, type OutboundPart } from '../messages/types.ts';
import type { Tenant } from '../tenants.ts';
import type { Digest, ManagerDigest, RepDigest } from './compose.ts';

const TAGS: Record<string, string> = { th: 'th-TH', ar: 'ar-SA', en: 'en-GB' };

function time(d: Date, zone: string, locale: string): string {
  return new Intl.DateTimeFormat(TAGS[locale] ?? 'en-GB', { timeStyle: 'short', timeZone: zone }).format(d);
}

/** A calendar date ("2026-11-23") in words, in the person's language. */
function dayWords(isoDate: string, locale: string): string {
  return new Intl.DateTimeFormat(TAGS[locale] ?? 'en-GB', { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }).format(
    DateTime.fromISO(isoDate, { zone: 'UTC' }).toJSDate(),
  );
}

function renderRep(d: RepDigest, name: string, locale: string): OutboundMessage {
  const t = translator(locale);
  const parts: OutboundPart[] = [
    { type: 'text', text: t('jobs.digest.rep_head', { name, date: dayWords(d.localDate, locale) }) },
    { type: 'text', text: t('jobs.digest.rep_summary', { hot: d.hotLeadsTotal, tasks: d.tasksTotal, overdue: d.overdueTotal, followups: d.followupsTotal }) },
  ];
  const more = (total: number, shown: number) => (total > shown ? [{ type: 'text' as const, text: t('jobs.digest.more', { count: total - shown }) }] : []);
  if (d.hotLeads.length) {
    parts.push({
      type: 'table',
      columns: [t('jobs.digest.col_hot_lead'), t('jobs.digest.col_score'), t('jobs.digest.col_stage')],
      rows: d.hotLeads.map((l) => [l.name, l.score === null ? '—' : String(l.score), l.stage]),
    });
    parts.push(...more(d.hotLeadsTotal, d.hotLeads.length));
  }
  if (d.tasks.length) {
    parts.push({
      type: 'table',
      columns: [t('jobs.digest.col_due'), t('jobs.digest.col_task'), t('jobs.digest.col_lead')],
      rows: d.tasks.map((x) => [
        x.overdue ? t('jobs.digest.overdue_since', { date: formatDate(x.dueAt, d.timezone, locale) }) : time(x.dueAt, d.timezone, locale),
        x.title,
        x.lead ?? '—',
      ]),
    });
    parts.push(...more(d.tasksTotal, d.tasks.length));
  }
  if (d.followups.length) {
    parts.push({
      type: 'table',
      columns: [t('jobs.digest.col_followup_at'), t('jobs.digest.col_lead'), t('jobs.digest.col_channel')],
      rows: d.followups.map((f) => [time(f.dueAt, d.timezone, locale), f.lead, f.channel ?? '—']),
    });
    parts.push(...more(d.followupsTotal, d.followups.length));
  }
  return outbound(parts);
}

function renderManager(d: ManagerDigest, tenant: Tenant, locale: string): OutboundMessage {
  const t = translator(locale);
  const pts = t('metrics.pts');
  const rows = d.lines.map((l) => [
    t(`metrics.name.${l.metric}`),
    formatValue(l.value, l.kind, tenant.currency, locale),
    formatValue(l.previous, l.kind, tenant.currency, locale),
    formatChange(l.value, l.previous, l.kind, locale, pts) ?? '—',
  ]);
  return outbound([
    { type: 'text', text: t('jobs.digest.manager_head', { tenant: tenant.name, date: dayWords(d.day, locale) }) },
    { type: 'table', columns: [t('jobs.digest.col_metric'), t('jobs.digest.col_yesterday'), t('jobs.digest.col_day_before'), t('metrics.col_change')], rows },
  ]);
}

/** The digest as a message in the person's language: a heading, then tables. */
export function renderDigest(d: Digest, tenant: Tenant, staffName: string, locale: string): OutboundMessage {
  return d.kind === 'rep' ? renderRep(d, staffName.split(' ')[0] ?? staffName, locale) : renderManager(d, tenant, locale);
}
