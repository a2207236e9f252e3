import { DateTime } from 'luxon';
import { translator } from '../../agents/i18n.ts';
import { formatValue } from '../bi/format.ts';
import { metricDef } from '../bi/layer.ts';
import { outbound, type OutboundMessage } from '../messages/types.ts';
import type { Tenant } from '../tenants.ts';
import type { CheckResult } from './check.ts';
import type { Finding } from './detect.ts';

const TAGS: Record<string, string> = { th: 'th-TH', ar: 'ar-SA', en: 'en-GB' };
const CHANNEL_NAMES: Record<string, string> = { line: 'LINE', telegram: 'Telegram', slack: 'Slack', msteams: 'Teams', webchat: 'Web chat', local: 'Local chat' };

export function channelName(key: string): string {
  return CHANNEL_NAMES[key] ?? key;
}

function dayWords(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(TAGS[locale] ?? 'en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(DateTime.fromISO(iso, { zone: 'UTC' }).toJSDate());
}

/** "LINE leads", "Reply rate", …: what the alert is about, in the reader's language. */
export function subject(r: Pick<CheckResult, 'metric' | 'dimension'>, locale: string): string {
  const t = translator(locale);
  const name = t(r.metric === 'win_rate' ? 'jobs.anomaly.conversion' : `metrics.name.${r.metric}`);
  const ch = /^channel=(.+)$/.exec(r.dimension)?.[1];
  return ch ? t('jobs.anomaly.for_channel', { metric: name, channel: channelName(ch) }) : name;
}

/**
 * The alert a manager reads: what moved, by how much, against what range,
 * since when — numbers first, so it can be judged at a glance.
 */
export function anomalyMessage(tenant: Tenant, r: CheckResult & { finding: Extract<Finding, { status: 'anomaly' }> }, locale: string): OutboundMessage {
  const t = translator(locale);
  const f = r.finding;
  const kind = metricDef(r.metric)!.kind;
  // A count is judged over the whole run; a rate or a median is per lead.
  const v = (x: number) => formatValue(x, kind, tenant.currency, locale);
  const change =
    kind === 'rate'
      ? `${new Intl.NumberFormat(TAGS[locale] ?? 'en-GB', { signDisplay: 'exceptZero', maximumFractionDigits: 1 }).format(f.change * 100)} ${t('metrics.pts')}`
      : new Intl.NumberFormat(TAGS[locale] ?? 'en-GB', { style: 'percent', signDisplay: 'exceptZero', maximumFractionDigits: 0 }).format(f.change);
  const what = subject(r, locale);
  const days = new Intl.NumberFormat(TAGS[locale] ?? 'en-GB').format(f.days);
  const since = dayWords(f.since, locale);
  const head = t(f.direction === 'down' ? 'jobs.anomaly.head_down' : 'jobs.anomaly.head_up', { what, change, since, days });
  return outbound([
    { type: 'text', text: head },
    {
      type: 'card',
      title: what,
      subtitle: t('jobs.anomaly.period', { since, through: dayWords(r.through, locale), days }),
      fields: [
        { label: t('jobs.anomaly.actual'), value: v(f.actual) },
        { label: t('jobs.anomaly.expected_range'), value: `${v(f.low)} – ${v(f.high)}` },
        { label: t('jobs.anomaly.usual'), value: v(f.expected) },
        { label: t('jobs.anomaly.change'), value: change },
        { label: t('jobs.anomaly.since'), value: since },
      ],
    },
  ]);
}
