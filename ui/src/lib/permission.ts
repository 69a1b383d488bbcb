// What the inbox shows about calling a customer: whether the Call and Request permission
// buttons are enabled and, when not, the reason they say. Pure: the platform's snapshot
// (`PermissionState`) and the UI's clock in, labels out.
//
// Invariants: a disabled button always has a reason; an enabled one has none. The platform
// re-checks every action, so a stale snapshot can only make a button say too little, never
// let an action through that the platform would allow silently.
import type {
  CallEndReason,
  CallPhase,
  CallQuality,
  PermissionState,
  QualityWarning,
  Verdict,
} from '../backend/types';
import { formatTimestamp } from './format';

export interface ButtonRule {
  enabled: boolean;
  /** Why the button is disabled (a sentence); null when enabled. */
  reason: string | null;
}

/** Lower-case platform clauses read as sentences. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return trimmed;
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return capital.endsWith('.') ? capital : `${capital}.`;
}

function verdictRule(verdict: Verdict, nowMs: number): ButtonRule {
  if (verdict.verdict === 'allowed') return { enabled: true, reason: null };
  // A refusal that lapses by itself (a limit) is over once its date passed: the snapshot is
  // older than that, so let the platform decide again.
  if (verdict.retry_at !== null && Date.parse(verdict.retry_at) <= nowMs) {
    return { enabled: true, reason: null };
  }
  return { enabled: false, reason: sentence(verdict.message) };
}

/**
 * The Call button: enabled only when the platform allows a call, the temporary permission has
 * not lapsed since the snapshot (Meta sends nothing when it does), and no call is in progress.
 */
export function callRule(
  permission: PermissionState,
  nowMs: number,
  { onCall = false }: { onCall?: boolean } = {},
): ButtonRule {
  if (onCall) return { enabled: false, reason: 'You are on a call.' };
  if (
    permission.status === 'temporary' &&
    permission.expires_at !== null &&
    Date.parse(permission.expires_at) <= nowMs
  ) {
    return {
      enabled: false,
      reason: `The customer's temporary call permission expired on ${formatTimestamp(Date.parse(permission.expires_at))}; send a new permission request.`,
    };
  }
  return verdictRule(permission.call, nowMs);
}

/** The Request permission button: enabled only when the platform allows a request now. */
export function requestRule(permission: PermissionState, nowMs: number): ButtonRule {
  return verdictRule(permission.request, nowMs);
}

/** "No call permission", "Temporary permission until Jan 12, 09:00", "Permanent permission". */
export function permissionSummary(permission: PermissionState, nowMs: number): string {
  switch (permission.status) {
    case 'permanent':
      return 'Permanent call permission';
    case 'temporary': {
      if (permission.expires_at === null) return 'Temporary call permission';
      const expires = Date.parse(permission.expires_at);
      return expires <= nowMs
        ? `Call permission expired on ${formatTimestamp(expires)}`
        : `Temporary call permission until ${formatTimestamp(expires)}`;
    }
    case 'no_permission':
      return 'No call permission';
  }
}

/** When the next permission request becomes possible, if the platform gave a date. */
export function nextRequestLabel(permission: PermissionState, nowMs: number): string | null {
  if (permission.next_request_at === null) return null;
  const at = Date.parse(permission.next_request_at);
  return at <= nowMs ? null : `Next request possible on ${formatTimestamp(at)}`;
}

/** When the 24 h customer service window closes (texts and requests only inside it). */
export function windowLabel(permission: PermissionState, nowMs: number): string {
  if (permission.service_window_closes_at === null) return 'Customer service window closed';
  const at = Date.parse(permission.service_window_closes_at);
  return at <= nowMs
    ? 'Customer service window closed'
    : `Customer service window open until ${formatTimestamp(at)}`;
}

/** What the in-call bar says before a placed call connects. */
export const PHASE_LABELS: Record<Exclude<CallPhase, 'connected'>, string> = {
  calling: 'Calling…',
  ringing: 'Ringing…',
};

/** What each call-quality warning says in the in-call bar while it holds. */
export const QUALITY_LABELS: Record<QualityWarning, string> = {
  no_inbound_audio: 'No audio from the customer',
  high_loss: 'Audio breaking up (packet loss)',
  high_jitter: 'Unsteady connection (jitter)',
  high_latency: 'Long delay on the line',
  poor_quality: 'Poor call quality',
  mic_silent: 'Your microphone is silent: the customer cannot hear you',
};

/** How a finished call sounded at a glance: MOS 4 and up is good, under 3.1 (or a warning
 * that the customer's audio never came) is poor. */
export function qualityGrade(quality: CallQuality): 'good' | 'fair' | 'poor' {
  if (quality.warnings.includes('no_inbound_audio') || quality.mos_avg < 3.1) return 'poor';
  return quality.mos_avg >= 4 ? 'good' : 'fair';
}

/** How a call ended, as the note after it says. */
export const END_REASON_LABELS: Record<CallEndReason, string> = {
  local_hangup: 'You hung up',
  remote_hangup: 'The customer hung up',
  declined: 'Declined by the customer',
  no_answer: 'No answer',
  failed: 'The call failed',
};
