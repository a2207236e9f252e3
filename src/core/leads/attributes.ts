import { z } from 'zod';
import { ToolInputError } from '../../errors.ts';

/**
 * Vertical attributes stored in `leads.attributes` (jsonb). One object with
 * every key optional rather than a union per vertical, so code that reads a
 * lead never needs to know the tenant's vertical to parse it. Objects are
 * strict: a misspelt key (`concern` for `concerns`) is an error, not data
 * that silently never matches.
 */

export const SKIN_CONCERNS = [
  'acne',
  'large_pores',
  'pigmentation',
  'wrinkles',
  'dullness',
  'redness',
  'dark_circles',
  'sagging',
  'scars',
] as const;
export const SkinConcern = z.enum(SKIN_CONCERNS);
export type SkinConcern = z.infer<typeof SkinConcern>;

export const SKIN_TYPES = ['oily', 'dry', 'combination', 'normal', 'sensitive'] as const;
export const SkinType = z.enum(SKIN_TYPES);
export type SkinType = z.infer<typeof SkinType>;

export const SkinAnalysis = z.strictObject({
  type: SkinType,
  concerns: z.array(SkinConcern),
  ageEstimate: z.number().int().min(10).max(100).optional(),
  /** How soon the customer wants results, 0 (browsing) to 100 (this week). */
  urgency: z.number().int().min(0).max(100).optional(),
  scannedAt: z.iso.datetime({ offset: true }).optional(),
});
export type SkinAnalysis = z.infer<typeof SkinAnalysis>;

export const BuyerProfile = z.strictObject({
  purpose: z.enum(['live', 'invest']).optional(),
  financing: z.enum(['cash', 'mortgage']).optional(),
  /** Free text such as "within 3 months"; not parsed. */
  timeline: z.string().min(1).max(120).optional(),
});
export type BuyerProfile = z.infer<typeof BuyerProfile>;

export const LeadAttributes = z.strictObject({
  // clinic
  skin: SkinAnalysis.optional(),
  /** Catalogue SKUs the customer has bought. */
  purchases: z.array(z.string().min(1)).optional(),
  interests: z.array(z.string().min(1)).optional(),
  // realty
  buyer: BuyerProfile.optional(),
});
export type LeadAttributes = z.infer<typeof LeadAttributes>;

/** A field path as people write it: `skin.concerns[1]`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  const text = path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
  return text || '(root)';
}

/** Lists each problem as "path: message", e.g. "skin.type: Invalid option: expected one of ...". */
export function describeZodIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`).join('; ');
}

/** Parses `leads.attributes`; throws a ToolInputError naming every bad field. */
export function parseLeadAttributes(value: unknown): LeadAttributes {
  const result = LeadAttributes.safeParse(value ?? {});
  if (!result.success) {
    throw new ToolInputError(`Invalid lead attributes: ${describeZodIssues(result.error)}`, {
      issues: result.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    });
  }
  return result.data;
}
