import type { Sql } from '../../db/database.ts';
import type { Tenant } from '../tenants.ts';
import { findOrCreateLead } from './dedupe.ts';

export interface NewContact {
  channel: string;
  displayName: string;
  source: string;
  locale?: string | undefined;
  /** True when the person explicitly subscribed (LINE follow, Telegram /start). */
  optedIn?: boolean;
  /** The platform's user id: the same person on another account of this channel joins their lead. */
  externalId?: string | undefined;
  /** A phone number or email the channel shared (Telegram contact, a web form): joins the lead that has it. */
  phone?: string | undefined;
  email?: string | undefined;
}

/**
 * The lead behind a first contact on a channel: an existing lead of the
 * tenant when the contact's identity, phone or email matches one (see
 * dedupe.ts), otherwise a new lead in the tenant's first pipeline stage with
 * no owner, for the scoring and assignment services to take from there.
 */
export async function createLeadForNewContact(sql: Sql, tenant: Tenant, contact: NewContact): Promise<{ leadId: string; created: boolean }> {
  const result = await findOrCreateLead(sql, tenant, { ...contact, externalId: contact.externalId });
  return { leadId: result.leadId, created: result.created };
}
