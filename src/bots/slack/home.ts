import type { Sql } from '../../db/database.ts';
import type { Tenant } from '../../core/tenants.ts';
import { listHotLeads } from '../../core/prioritiser/hot.ts';
import { formatDateTime, formatMoney } from '../../core/format.ts';
import { translator } from '../../agents/i18n.ts';
import { escapeMrkdwn, type SlackBlock } from './blocks.ts';

const HOME_LEADS = 8;
const HOME_TASKS = 10;

/**
 * The App Home tab of one staff member: their hottest leads (the same
 * ranking as `list_hot_leads`; managers see the team's) and their open tasks.
 * Each lead has an "open" button that runs lookup_lead like a DM would.
 */
export async function homeView(sql: Sql, tenant: Tenant, staff: { id: string; locale: string; role: string }, now: Date): Promise<{ type: 'home'; blocks: SlackBlock[] }> {
  const t = translator(staff.locale);
  const locale = staff.locale;
  const hot = await listHotLeads(sql, tenant, { now, limit: HOME_LEADS, ownerId: staff.role === 'rep' ? staff.id : undefined });
  const tasks = (
    await sql.query<{ id: string; title: string; due_at: Date | null; lead_name: string | null }>(
      `SELECT t.id, t.title, t.due_at, l.display_name AS lead_name FROM tasks t LEFT JOIN leads l ON l.id = t.lead_id
       WHERE t.assignee_id = $1 AND t.status = 'open' ORDER BY t.due_at NULLS LAST, t.created_at LIMIT $2`,
      [staff.id, HOME_TASKS],
    )
  ).rows;
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: t('slack.home_title') } },
    { type: 'section', text: { type: 'mrkdwn', text: `*${t('slack.home_hot')}*` } },
  ];
  if (hot.leads.length === 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: t('slack.home_none') }] });
  for (const lead of hot.leads) {
    const bits = [lead.grade ? `${lead.grade}${lead.score !== null ? ` (${lead.score})` : ''}` : null, lead.stage?.key ?? null, lead.dealAmount > 0 ? formatMoney(lead.dealAmount, tenant.currency, locale) : null].filter(Boolean);
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: `*${escapeMrkdwn(lead.name)}*  ${escapeMrkdwn(bits.join(' · '))}` },
      accessory: { type: 'button', action_id: `home_lead_${lead.leadId}`, text: { type: 'plain_text', text: '→' }, value: JSON.stringify({ action: 'lookup_lead', args: { lead_id: lead.leadId } }) },
    });
  }
  blocks.push({ type: 'divider' }, { type: 'section', text: { type: 'mrkdwn', text: `*${t('slack.home_tasks')}*` } });
  if (tasks.length === 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: t('slack.home_no_tasks') }] });
  for (const task of tasks) {
    const due = task.due_at ? ` — ${t('slack.home_due', { when: formatDateTime(task.due_at, tenant.timezone, locale) })}` : '';
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `• ${escapeMrkdwn(task.title)}${task.lead_name ? ` (${escapeMrkdwn(task.lead_name)})` : ''}${escapeMrkdwn(due)}` } });
  }
  return { type: 'home', blocks: blocks.slice(0, 100) };
}
