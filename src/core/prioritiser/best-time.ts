/**
 * When to contact a lead: at the local hour they have written to us most
 * often (people answer when they usually write), else at the start of the
 * tenant's business hours, on the next business day when today's window
 * has passed. Times are computed in the lead's timezone.
 */
export interface BestTime {
  at: Date;
  /** 'history': their usual hour; 'business_hours': no usable history. */
  basis: 'history' | 'business_hours';
  hour: number;
}

export interface BusinessHours {
  start: string;
  end: string;
  days?: (string | number)[] | undefined;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const HOUR_MS = 3_600_000;

function parseHour(hhmm: string, fallback: number): number {
  const m = /^(\d{1,2})(?::(\d{2}))?$/.exec(hhmm.trim());
  if (!m) return fallback;
  const h = Number(m[1]) + Number(m[2] ?? 0) / 60;
  return h >= 0 && h <= 24 ? h : fallback;
}

/** Local wall-clock parts of an instant in a timezone. */
function localParts(d: Date, timeZone: string): { y: number; m: number; day: number; hour: number; minute: number; weekday: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'short', hourCycle: 'h23' }).formatToParts(d);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '0';
  return { y: Number(get('year')), m: Number(get('month')), day: Number(get('day')), hour: Number(get('hour')), minute: Number(get('minute')), weekday: DAY_NAMES.indexOf(get('weekday').toLowerCase().slice(0, 3)) };
}

/** The instant at local date + hour in a timezone (correct across DST by one correction step). */
function atLocal(y: number, m: number, day: number, hour: number, timeZone: string): Date {
  const guess = Date.UTC(y, m - 1, day, Math.floor(hour), Math.round((hour % 1) * 60));
  const p = localParts(new Date(guess), timeZone);
  const shown = Date.UTC(p.y, p.m - 1, p.day, p.hour, p.minute);
  return new Date(guess - (shown - guess));
}

function isBusinessDay(weekday: number, days: BusinessHours['days']): boolean {
  if (!days || days.length === 0) return true;
  return days.some((d) => (typeof d === 'number' ? d % 7 === weekday : DAY_NAMES.indexOf(d.toLowerCase().slice(0, 3)) === weekday));
}

/** The hour (0-23) a lead writes most often, or null with fewer than `minSamples` messages. Ties go to the earlier hour. */
export function usualHour(counts: Map<number, number>, minSamples = 2): number | null {
  let total = 0;
  let best: number | null = null;
  for (const [h, n] of [...counts.entries()].sort((a, b) => a[0] - b[0])) {
    total += n;
    if (best === null || n > counts.get(best)!) best = h;
  }
  return total >= minSamples ? best : null;
}

export function bestTimeToContact(opts: {
  now: Date;
  timeZone: string;
  businessHours: BusinessHours;
  /** message_in counts by local hour (0-23) in `timeZone`. */
  inboundHours: Map<number, number>;
}): BestTime {
  const open = parseHour(opts.businessHours.start, 9);
  const close = parseHour(opts.businessHours.end, 18);
  const usual = usualHour(opts.inboundHours);
  // Their hour only when a rep can act on it: inside business hours.
  const useHistory = usual !== null && usual >= open && usual < close;
  const hour = useHistory ? usual! : open;
  const latestStart = useHistory ? hour + 1 : close;
  const nowLocal = localParts(opts.now, opts.timeZone);
  for (let offset = 0; offset < 8; offset++) {
    const probe = new Date(Date.UTC(nowLocal.y, nowLocal.m - 1, nowLocal.day + offset, 12));
    const y = probe.getUTCFullYear();
    const m = probe.getUTCMonth() + 1;
    const day = probe.getUTCDate();
    if (!isBusinessDay(probe.getUTCDay(), opts.businessHours.days)) continue;
    const start = atLocal(y, m, day, hour, opts.timeZone);
    const end = atLocal(y, m, day, latestStart, opts.timeZone);
    if (opts.now.getTime() < end.getTime()) {
      // Already inside the window: now is the best time.
      const at = opts.now.getTime() > start.getTime() ? new Date(Math.ceil(opts.now.getTime() / (HOUR_MS / 4)) * (HOUR_MS / 4)) : start;
      return { at, basis: useHistory ? 'history' : 'business_hours', hour };
    }
  }
  return { at: atLocal(nowLocal.y, nowLocal.m, nowLocal.day + 1, hour, opts.timeZone), basis: useHistory ? 'history' : 'business_hours', hour };
}
