import type { Translate } from '../../agents/i18n.ts';
import { formatMoney } from '../format.ts';
import type { ScoreFactor } from './types.ts';

const MONEY = new Set(['budget', 'cheapest', 'amount']);
const LISTS: Record<string, string> = { signals: 'scoring.signal', lacking: 'scoring.contact' };

export interface ReasonContext {
  t: Translate;
  locale: string;
  currency: string;
  /** Stage key → names per locale. */
  stageNames: Map<string, Record<string, string>>;
}

/**
 * Turns a stored reason (key + raw params) into a sentence in the reader's
 * language: amounts in the tenant's currency, stage keys as stage names,
 * lists of signal keys as words.
 */
export function reasonText(reason: string, params: ScoreFactor['params'], rc: ReasonContext): string {
  const vars: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(params)) {
    if (MONEY.has(k)) vars[k] = formatMoney(v, rc.currency, rc.locale);
    else if (k === 'stage') {
      const names = rc.stageNames.get(String(v));
      vars[k] = names?.[rc.locale] ?? names?.en ?? String(v);
    } else if (LISTS[k]) {
      vars[k] = String(v)
        .split(',')
        .filter(Boolean)
        .map((x) => rc.t(`${LISTS[k]}.${x}`))
        .join(', ');
    } else vars[k] = v;
  }
  return rc.t(`scoring.reason.${reason}`, vars);
}

/** "+12", "−3.5", "0": points as people read them. */
export function signedPoints(n: number): string {
  const r = Math.round(n * 10) / 10;
  return r > 0 ? `+${r}` : r < 0 ? `−${Math.abs(r)}` : '0';
}
