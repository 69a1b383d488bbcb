// Shapes that cross the seam between the UI and the Rust core.
// Wire vocabulary (statuses, reasons, call records) comes from `./generated`, which ts-rs
// writes from the `protocol` crate. The app-level shapes below mirror src-tauri/src/model.rs
// (camelCase fields, snake_case tags).
import type {
  CallQuery,
  CallRecord,
  CallStatus,
  CancelReason,
  Presence as ChosenPresence,
  RoutedBecause,
} from './generated';

export type { CallQuery, CallRecord, CallStatus, CancelReason, RoutedBecause };

/** What the agent chose, or `busy`, which the app sets during calls. */
export type Presence = ChosenPresence | 'busy';

/** Presences an agent may choose. */
export const SELECTABLE_PRESENCES = ['available', 'away', 'offline'] as const satisfies readonly ChosenPresence[];
export type SelectablePresence = ChosenPresence;

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

/** A history query with every filter off. */
export function historyQuery(filters: Partial<CallQuery> = {}): CallQuery {
  return { status: null, direction: null, agent: null, from: null, to: null, ...filters };
}

export type CallEndReason = 'local_hangup' | 'remote_hangup' | 'failed';

/** Everything the core pushes to the UI, on one channel. */
export type BackendEvent =
  | { type: 'connection_changed'; state: ConnectionState }
  | { type: 'presence_changed'; presence: Presence }
  | { type: 'incoming_call'; call: IncomingCall }
  | { type: 'call_cancelled'; callId: string; reason: CancelReason }
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
