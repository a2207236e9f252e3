/**
 * The objection taxonomy shared by the classifier, the playbook packs
 * (`playbook_entries.category` of kind 'objection') and the reply templates.
 */
export const OBJECTION_CATEGORIES = ['price', 'time', 'trust', 'need', 'competitor', 'authority', 'other'] as const;
export type ObjectionCategory = (typeof OBJECTION_CATEGORIES)[number];

export function isObjectionCategory(value: string): value is ObjectionCategory {
  return (OBJECTION_CATEGORIES as readonly string[]).includes(value);
}
