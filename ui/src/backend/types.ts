// Shapes that cross the seam between the UI and the Rust core.
// They mirror the serde types in src-tauri/src/model.rs (camelCase fields, snake_case tags).

export type Presence = 'available' | 'away' | 'offline' | 'busy';

/** Presences an agent may choose; `busy` is set by the app during calls. */
export const SELECTABLE_PRESENCES = ['available', 'away', 'offline'] as const;
export type SelectablePresence = (typeof SELECTABLE_PRESENCES)[number];

export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting';

export interface Session {
  platformUrl: string;
  agentName: string;
  presence: Presence;
}

export interface SignInRequest {
  platformUrl: string;
  token: string;
}

/** Why the platform offered this call to this agent (routing step that picked them). */
export type RoutedBecause = 'assigned_conversation' | 'contact_owner' | 'round_robin';

export interface IncomingCall {
  callId: string;
  customerName: string | null;
  customerNumber: string;
  businessNumber: string;
  routedBecause: RoutedBecause;
  /** Epoch milliseconds when the platform offered the call. */
  offeredAtMs: number;
}

export interface ActiveCall {
  callId: string;
  customerName: string | null;
  customerNumber: string;
  businessNumber: string;
  /** Epoch milliseconds when media started; the duration counts from here. */
  answeredAtMs: number;
  muted: boolean;
}

export type DeviceKind = 'input' | 'output';

export interface AudioDevice {
  id: string;
  name: string;
  kind: DeviceKind;
  selected: boolean;
}

/** Signal levels, 0 (silence) to 1 (full scale). */
export interface Levels {
  input: number;
  output: number;
}

export const CALL_STATUSES = [
  'ringing',
  'on_call',
  'completed',
  'rejected',
  'missed',
  'outside_office_hours',
  'all_agents_busy',
  'all_agents_offline',
  'failed',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export type CallDirection = 'inbound' | 'outbound';

/** One row of GET /api/calls. */
export interface CallRecord {
  callId: string;
  direction: CallDirection;
  status: CallStatus;
  customerName: string | null;
  customerNumber: string;
  businessNumber: string;
  offeredAtMs: number;
  durationSecs: number | null;
}

export interface HistoryQuery {
  status?: CallStatus;
}

export type CallCancelReason = 'customer_hung_up' | 'timeout' | 'answered_elsewhere';

export type CallEndReason = 'local_hangup' | 'remote_hangup' | 'failed';

/** Everything the core pushes to the UI, on one channel. */
export type BackendEvent =
  | { type: 'connection_changed'; state: ConnectionState }
  | { type: 'presence_changed'; presence: Presence }
  | { type: 'incoming_call'; call: IncomingCall }
  | { type: 'call_cancelled'; callId: string; reason: CallCancelReason }
  | { type: 'call_started'; call: ActiveCall }
  | { type: 'call_updated'; call: ActiveCall }
  | { type: 'call_ended'; callId: string; reason: CallEndReason }
  | { type: 'devices_changed'; devices: AudioDevice[] }
  | { type: 'levels'; levels: Levels };

/** The error every backend call rejects with: a stable machine `code` and a human `message`. */
export interface BackendError {
  code: string;
  message: string;
}

export function isBackendError(value: unknown): value is BackendError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as BackendError).code === 'string' &&
    typeof (value as BackendError).message === 'string'
  );
}

/** Turns anything a backend threw into a BackendError, keeping codes that are already there. */
export function toBackendError(value: unknown): BackendError {
  if (isBackendError(value)) return { code: value.code, message: value.message };
  if (value instanceof Error) return { code: 'internal', message: value.message };
  return { code: 'internal', message: String(value) };
}
