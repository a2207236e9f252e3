import { DateTime } from 'luxon';
import { z } from 'zod';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export const WorkingHours = z.object({
  days: z.array(z.enum(WEEKDAYS)).min(1),
  start: z.string().regex(/^\d{2}:\d{2}$/),
  end: z.string().regex(/^\d{2}:\d{2}$/),
});

/** True when `at` falls inside the person's working hours in their own time zone. Unknown or malformed hours count as off shift. */
export function onShift(workingHours: unknown, timeZone: string, at: Date): boolean {
  const wh = WorkingHours.safeParse(workingHours);
  if (!wh.success) return false;
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  if (!local.isValid) return false;
  const day = WEEKDAYS[local.weekday - 1]!;
  if (!wh.data.days.includes(day)) return false;
  const hm = local.toFormat('HH:mm');
  return wh.data.start <= wh.data.end ? hm >= wh.data.start && hm < wh.data.end : hm >= wh.data.start || hm < wh.data.end;
}
