import type { AnyTool } from './types.ts';
import { lookupLead } from './lookup_lead.ts';
import { explainScore } from './explain_score.ts';
import { listHotLeadsTool } from './list_hot_leads.ts';
import { dealProbabilityTool } from './deal_probability.ts';
import { handleObjectionTool } from './handle_objection.ts';
import { coachAdviceTool } from './coach_advice.ts';
import { recommendUpsellTool } from './recommend_upsell.ts';
import { updateWorkflow, updateWorkflowCancel } from './update_workflow.ts';
import { matchListings } from './match_listings.ts';
import { answerQuestionTool } from './answer_question.ts';
import { updateMyNeeds } from './update_my_needs.ts';
import { bookAppointmentTool } from './book_appointment.ts';
import { requestCallbackTool } from './request_callback.ts';
import { setConsentTool } from './set_consent.ts';
import { talkToHuman } from './talk_to_human.ts';
import { queryMetrics } from './query_metrics.ts';
import { scheduleReport, listReportsTool, cancelReportTool } from './manage_reports.ts';
import { listFollowupsTool } from './list_followups.ts';
import { cancelFollowupTool } from './cancel_followup.ts';
import { alertActionTool } from './alert_action.ts';
import { morningDigestTool } from './morning_digest.ts';
import { checkAnomaliesTool } from './check_anomalies.ts';
import { cancelAction, confirmAction, useToolCatalog } from './confirm.ts';

/** Every tool the agent and the rules router can call. One file per tool in this folder. */
export const TOOLS: readonly AnyTool[] = [lookupLead, explainScore, listHotLeadsTool, dealProbabilityTool, handleObjectionTool, coachAdviceTool, recommendUpsellTool, updateWorkflow, updateWorkflowCancel, matchListings, answerQuestionTool, updateMyNeeds, bookAppointmentTool, requestCallbackTool, setConsentTool, talkToHuman, queryMetrics, scheduleReport, listReportsTool, cancelReportTool, listFollowupsTool, cancelFollowupTool, alertActionTool, morningDigestTool, checkAnomaliesTool, confirmAction, cancelAction];
useToolCatalog(TOOLS);
