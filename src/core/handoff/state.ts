/** One row of `handoffs`: a customer conversation handed to staff, and its Slack thread. */
export interface Handoff {
  id: string;
  tenant_id: string;
  conversation_id: string;
  status: 'open' | 'resolved';
  started_at: Date;
  reason: string | null;
  slack_account_id: string | null;
  slack_channel: string | null;
  thread_ts: string | null;
  relayed_until: Date | null;
  last_staff_at: Date | null;
  claimed_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolved_why: 'resolved' | 'idle' | null;
}

export const DEFAULT_IDLE_MINUTES = 120;

/**
 * Whether a handoff has gone quiet for longer than the tenant allows: the
 * clock starts when it opened and restarts with every staff reply.
 */
export function handoffIdleExpired(h: Pick<Handoff, 'started_at' | 'last_staff_at'>, idleMinutes: number, now: Date): boolean {
  const since = Math.max(h.started_at.getTime(), h.last_staff_at?.getTime() ?? 0);
  return now.getTime() - since >= idleMinutes * 60_000;
}

/** Whether the SLA re-alert is due: still open and no staff reply since it opened. */
export function handoffSlaBreached(h: Pick<Handoff, 'status' | 'last_staff_at'>): boolean {
  return h.status === 'open' && h.last_staff_at === null;
}

/** Tenant settings the handoff reads (the settings object is open-ended). */
export function handoffSettings(settings: Record<string, unknown>): { idleMinutes: number; slackChannel: string | undefined; slaMinutes: number } {
  const idle = settings.handoff_idle_minutes;
  const channel = settings.handoff_slack_channel;
  const sla = settings.sla_response_minutes;
  return {
    idleMinutes: typeof idle === 'number' && idle > 0 ? idle : DEFAULT_IDLE_MINUTES,
    slackChannel: typeof channel === 'string' && channel.trim() ? channel.trim() : undefined,
    slaMinutes: typeof sla === 'number' && sla > 0 ? sla : 60,
  };
}
