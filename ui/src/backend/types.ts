// Shapes that cross the seam between the UI and the Rust core. None is written by hand:
// - `./generated` (ts-rs, from the `protocol` crate): wire vocabulary such as call records,
//   statuses, cancel and routing reasons, the agent's chosen presence;
// - `./app` (ts-rs, from src-tauri/src/model.rs): command arguments and results, core events.
import type { CallQuery, Presence as ChosenPresence } from './generated';
import type { CoreEvent } from './app';

export type {
  CallQuality,
  CallQuery,
  CallRecord,
  CallStatus,
  HistoryView,
  CancelReason,
  Conversation,
  ConversationMessage,
  Direction,
  AgentDay,
  KpiReport,
  PermissionState,
  PermissionStatus,
  QualityWarning,
  RoutedBecause,
  TeamCall,
  TeamCallPhase,
  TeamMember,
  Verdict,
} from './generated';
export type {
  ActiveCall,
  AppInfo,
  AudioDevice,
  CallEndReason,
  CallPhase,
  ConnectionState,
  DeviceKind,
  IncomingCall,
  Levels,
  Notice,
  Presence,
  Session,
  ShortcutKeys,
  SignInRequest,
} from './app';

/** Everything the core pushes to the UI, on one channel. */
export type BackendEvent = CoreEvent;

/** Presences an agent may choose (`busy` is set by the app during calls). */
export const SELECTABLE_PRESENCES = [
  'available',
  'away',
  'offline',
] as const satisfies readonly ChosenPresence[];
export type SelectablePresence = ChosenPresence;

/** A history query with every filter off. */
export function historyQuery(filters: Partial<CallQuery> = {}): CallQuery {
  return { view: null, status: null, direction: null, agent: null, from: null, to: null, ...filters };
}

/**
 * The error every backend call rejects with: a stable machine `code` and a human `message`
 * (src-tauri/src/error.rs `CommandError` serializes to exactly this).
 */
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
