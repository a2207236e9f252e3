import type { Sql } from '../../db/database.ts';

/** The staff user behind a Slack user in this workspace, if someone mapped them. */
export async function staffForSlackUser(sql: Sql, channelAccountId: string, slackUserId: string): Promise<{ id: string; name: string; locale: string } | undefined> {
  return (
    await sql.query<{ id: string; name: string; locale: string }>(
      `SELECT s.id, s.name, s.locale FROM channel_identities ci JOIN staff_users s ON s.id = ci.staff_user_id
       WHERE ci.channel_account_id = $1 AND ci.external_id = $2 AND s.active`,
      [channelAccountId, slackUserId],
    )
  ).rows[0];
}

/** Who can add a person to Closer: the tenant's admins, else its managers. */
export async function tenantAdmins(sql: Sql): Promise<string[]> {
  const { rows } = await sql.query<{ name: string; role: string }>(
    `SELECT name, role FROM staff_users WHERE active AND role IN ('admin', 'manager') ORDER BY role = 'admin' DESC, name`,
  );
  const admins = rows.filter((r) => r.role === 'admin');
  return (admins.length ? admins : rows).map((r) => r.name);
}

/** Maps a Slack user to a staff member (the CLI's `closer slack map`). */
export async function mapSlackUser(sql: Sql, tenantId: string, channelAccountId: string, slackUserId: string, staffEmail: string): Promise<string> {
  const staff = (await sql.query<{ id: string; name: string }>('SELECT id, name FROM staff_users WHERE lower(email) = lower($1)', [staffEmail])).rows[0];
  if (!staff) throw new Error(`No staff member with email ${staffEmail}.`);
  await sql.query(
    `INSERT INTO channel_identities (tenant_id, channel_account_id, channel, external_id, staff_user_id, display_name)
     VALUES ($1, $2, 'slack', $3, $4, $5)
     ON CONFLICT (channel_account_id, external_id) DO UPDATE SET staff_user_id = EXCLUDED.staff_user_id, lead_id = NULL`,
    [tenantId, channelAccountId, slackUserId, staff.id, staff.name],
  );
  return staff.name;
}
