import type {
  AppInfo,
  AudioDevice,
  BackendEvent,
  CallRecord,
  Conversation,
  DeviceKind,
  KpiReport,
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
  /** Version, demo flag and global shortcuts of this build; needs no session. */
  appInfo(): Promise<AppInfo>;

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

  /** Microphones (`input`), call speakers (`output`) and ringtone outputs (`ring`). */
  listDevices(): Promise<AudioDevice[]>;
  selectDevice(kind: DeviceKind, deviceId: string): Promise<void>;
  /** Plays the ringtone once on the selected `ring` device (Settings). */
  testRingtone(): Promise<void>;
  /** Opens the selected microphone outside a call; `mic_test_level` events follow until stopped. */
  startMicTest(): Promise<void>;
  stopMicTest(): Promise<void>;

  /**
   * Demo builds only (`AppInfo.demo`): has the simulated customer call the business, so an
   * `incoming_call` follows. Rejects with `not_demo` in any other build.
   */
  simulateCustomerCall(): Promise<void>;

  /** The agent's call records (GET /api/v1/calls on the platform), newest first. */
  callHistory(query: CallQuery): Promise<CallRecord[]>;
  /**
   * Every row of the view `query` selects as CSV (GET /api/v1/calls.csv), saved to the
   * Downloads folder; resolves with the file's path.
   */
  exportHistory(query: CallQuery): Promise<string>;

  /**
   * Figures per agent for each local day `from..=to` (YYYY-MM-DD) in `timezone` (IANA), as
   * the platform computes them (GET /api/v1/kpis): a supervisor's team, an admin's everyone.
   */
  teamFigures(from: string, to: string, timezone: string): Promise<KpiReport>;

  /**
   * A call's recording (`CallRecord.recording` set): its bytes, stereo Ogg/Opus with the
   * customer left and the agent right. Rejects with the platform's reason (404: not visible).
   */
  callRecording(callId: string): Promise<ArrayBuffer>;

  /**
   * The agent's inbox (GET /api/conversations): their conversations with recent messages and
   * call permission. Changes then arrive as `conversation_updated` / `permission_changed`.
   */
  listConversations(): Promise<Conversation[]>;
  /** A WhatsApp text to the customer; refused with the reason outside the 24 h window. */
  sendText(conversationId: string, text: string): Promise<void>;
  /** Asks the customer for call permission; refused with the reason before anything is sent. */
  requestPermission(conversationId: string): Promise<void>;
  /**
   * Calls the customer; resolves with the call id once the platform placed it (the call is
   * then the call in progress: `call_started` in phase `calling`), or rejects with the reason.
   */
  placeCall(conversationId: string): Promise<string>;

  /** Delivers every core event in order until the returned function is called. */
  subscribe(handler: (event: BackendEvent) => void): Promise<Unsubscribe>;
}
