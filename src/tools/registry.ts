import type { AnyTool } from './types.ts';
import { lookupLead } from './lookup_lead.ts';

/** Every tool the agent and the rules router can call. One file per tool in this folder. */
export const TOOLS: readonly AnyTool[] = [lookupLead];
