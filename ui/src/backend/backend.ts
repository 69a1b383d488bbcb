import type {
  AudioDevice,
  BackendEvent,
  CallRecord,
  DeviceKind,
  CallQuery,
  SelectablePresence,
  Session,
  SignInRequest,
} from './types';

export type Unsubscribe = () => void;

/**
 * The only way the UI reaches the Rust core. Every method rejects with a `BackendError`.
 * Two implementations: `TauriBackend` (the desktop app) and `InBrowserBackend` (a scripted
 * fake platform for demos and tests).
 */
export interface Backend {
  /** The signed-in session restored at start-up, or null. */
  currentSession(): Promise<Session | null>;
  signIn(request: SignInRequest): Promise<Session>;
  signOut(): Promise<void>;
  setPresence(presence: SelectablePresence): Promise<void>;

  acceptCall(callId: string): Promise<void>;
  rejectCall(callId: string): Promise<void>;
  hangUp(callId: string): Promise<void>;
  /** Mute only stops sending the microphone: media keeps flowing so WhatsApp keeps the call. */
  setMuted(callId: string, muted: boolean): Promise<void>;

  listDevices(): Promise<AudioDevice[]>;
  selectDevice(kind: DeviceKind, deviceId: string): Promise<void>;

  /** The agent's call records (GET /api/v1/calls on the platform), newest first. */
  callHistory(query: CallQuery): Promise<CallRecord[]>;

  /** Delivers every core event in order until the returned function is called. */
  subscribe(handler: (event: BackendEvent) => void): Promise<Unsubscribe>;
}
