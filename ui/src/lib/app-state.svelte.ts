import type { Backend, Unsubscribe } from '../backend/backend';
import {
  toBackendError,
  type ActiveCall,
  type AppInfo,
  type AudioDevice,
  type BackendError,
  type BackendEvent,
  type CallEndReason,
  type ConnectionState,
  type Conversation,
  type PermissionState,
  type DeviceKind,
  type IncomingCall,
  type Levels,
  type Notice,
  type Presence,
  type SelectablePresence,
  type Session,
  type SignInRequest,
  type TeamMember,
} from '../backend/types';

type Outcome<T> = { ok: true; value: T } | { ok: false };

/** The call that just ended, for the note that says how (until the next call or dismissed). */
export interface EndedCall {
  call: ActiveCall;
  reason: CallEndReason;
  message: string | null;
}

/**
 * The UI's view of the core: updated only from backend events and call results.
 * Components read its fields and call its methods; none of them touch the backend directly
 * (except the history list, which queries it).
 */
export class AppState {
  session = $state<Session | null>(null);
  connection = $state<ConnectionState>('disconnected');
  presence = $state<Presence>('offline');
  /** Calls ringing for this agent, oldest first; the popup shows the first. */
  incoming = $state<IncomingCall[]>([]);
  active = $state<ActiveCall | null>(null);
  devices = $state<AudioDevice[]>([]);
  levels = $state<Levels>({ input: 0, output: 0 });
  lastError = $state<BackendError | null>(null);
  /** Problems the core reported outside any command, oldest first, until dismissed. */
  notices = $state<Notice[]>([]);
  /** This build's facts; null until loaded (or if the core could not say: see `appInfoError`). */
  appInfo = $state<AppInfo | null>(null);
  appInfoError = $state<BackendError | null>(null);
  /** The Settings microphone test: running as far as the core confirmed, and its last level. */
  micTestRunning = $state(false);
  micTestLevel = $state(0);
  /** Call recordings on this computer still waiting for upload. */
  recordingsPending = $state(0);
  /** Bumped whenever a call record may have changed, so the history list reloads. */
  historyRevision = $state(0);
  /** The agent's inbox, most recent activity first; null until loaded. */
  conversations = $state<Conversation[] | null>(null);
  conversationsError = $state<BackendError | null>(null);
  lastEnded = $state<EndedCall | null>(null);
  /**
   * Supervisors and admins: the agents they oversee, live, by name; null for an agent (the
   * platform sends a team only to supervisors and admins).
   */
  team = $state<TeamMember[] | null>(null);
  /** Per conversation, the newest customer message the agent has had on screen (epoch ms). */
  private seenUpTo = $state<Record<string, number>>({});

  readonly backend: Backend;
  private unsubscribe: Unsubscribe | null = null;
  private loadDevices = true;

  constructor(backend: Backend) {
    this.backend = backend;
  }

  /**
   * Subscribes to core events, then restores any session the core already has.
   * The popup window passes `loadDevices: false`: it may not list devices (least privilege)
   * and shows no settings, so it does not ask for the app info either.
   */
  async start({ loadDevices = true }: { loadDevices?: boolean } = {}): Promise<void> {
    this.loadDevices = loadDevices;
    this.unsubscribe = await this.backend.subscribe((event) => this.apply(event));
    if (loadDevices) await this.loadAppInfo();
    const outcome = await this.attempt(() => this.backend.currentSession());
    if (outcome.ok && outcome.value) await this.enterSession(outcome.value);
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  apply(event: BackendEvent): void {
    switch (event.type) {
      case 'connection_changed':
        // Changes pushed while the connection was down were lost: list the inbox again.
        if (
          event.state === 'connected' &&
          this.connection === 'reconnecting' &&
          this.session &&
          this.loadDevices
        ) {
          void this.loadConversations();
        }
        this.connection = event.state;
        break;
      case 'presence_changed':
        this.presence = event.presence;
        break;
      case 'incoming_call':
        if (!this.incoming.some((c) => c.callId === event.call.callId)) {
          this.incoming = [...this.incoming, event.call];
        }
        break;
      case 'call_cancelled':
        this.dropIncoming(event.callId);
        this.historyRevision += 1;
        break;
      case 'call_started':
        this.dropIncoming(event.call.callId);
        this.active = event.call;
        this.lastEnded = null;
        break;
      case 'call_updated':
        if (this.active?.callId === event.call.callId) this.active = event.call;
        break;
      case 'call_ended':
        if (this.active?.callId === event.callId) {
          this.lastEnded = { call: this.active, reason: event.reason, message: event.message };
          this.active = null;
          this.levels = { input: 0, output: 0 };
        }
        this.historyRevision += 1;
        break;
      case 'devices_changed':
        this.devices = event.devices;
        break;
      case 'levels':
        this.levels = event.levels;
        break;
      case 'mic_test_level':
        if (this.micTestRunning) this.micTestLevel = event.level;
        break;
      case 'recordings_pending':
        // A drop in the count means recordings reached the platform: the history shows them.
        if (event.count < this.recordingsPending) this.historyRevision += 1;
        this.recordingsPending = event.count;
        break;
      case 'conversation_updated':
        this.conversationChanged(event.conversation);
        break;
      case 'permission_changed':
        this.permissionChanged(event.permission);
        break;
      case 'team_changed': {
        // A member's call that is gone has ended: the team's history has a new record.
        const callsNow = new Set(event.members.flatMap((m) => (m.call ? [m.call.call_id] : [])));
        const ended = (this.team ?? []).some((m) => m.call && !callsNow.has(m.call.call_id));
        this.team = event.members;
        if (ended) this.historyRevision += 1;
        break;
      }
      case 'notice':
        // A repeated code replaces the older notice instead of stacking copies of it.
        this.notices = [...this.notices.filter((n) => n.code !== event.notice.code), event.notice];
        break;
    }
  }

  async signIn(request: SignInRequest): Promise<boolean> {
    const outcome = await this.attempt(() => this.backend.signIn(request));
    if (!outcome.ok) return false;
    await this.enterSession(outcome.value);
    return true;
  }

  async signOut(): Promise<void> {
    await this.attempt(() => this.backend.signOut());
    this.session = null;
    this.conversations = null;
    this.team = null;
    this.lastEnded = null;
    this.seenUpTo = {};
    this.incoming = [];
    this.active = null;
    this.presence = 'offline';
    this.micTestRunning = false;
    this.micTestLevel = 0;
  }

  /** The shown presence changes only once the core has taken it. */
  async setPresence(presence: SelectablePresence): Promise<void> {
    const outcome = await this.attempt(() => this.backend.setPresence(presence));
    if (outcome.ok) this.presence = presence;
  }

  async accept(callId: string): Promise<void> {
    await this.attempt(() => this.backend.acceptCall(callId));
  }

  async reject(callId: string): Promise<void> {
    const outcome = await this.attempt(() => this.backend.rejectCall(callId));
    if (outcome.ok) {
      this.dropIncoming(callId);
      this.historyRevision += 1;
    }
  }

  async hangUp(): Promise<void> {
    const call = this.active;
    if (call) await this.attempt(() => this.backend.hangUp(call.callId));
  }

  async toggleMute(): Promise<void> {
    const call = this.active;
    if (call) await this.attempt(() => this.backend.setMuted(call.callId, !call.muted));
  }

  async selectDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    await this.attempt(() => this.backend.selectDevice(kind, deviceId));
  }

  /** Reloads the device lists (Settings opens with what is plugged in now). */
  async refreshDevices(): Promise<void> {
    const outcome = await this.attempt(() => this.backend.listDevices());
    if (outcome.ok) this.devices = outcome.value;
  }

  async testRingtone(): Promise<boolean> {
    return (await this.attempt(() => this.backend.testRingtone())).ok;
  }

  async startMicTest(): Promise<void> {
    const outcome = await this.attempt(() => this.backend.startMicTest());
    if (outcome.ok) this.micTestRunning = true;
  }

  async stopMicTest(): Promise<void> {
    if (!this.micTestRunning) return;
    // From here on readings are ignored and the meter shows silence, whatever the core answers.
    this.micTestRunning = false;
    this.micTestLevel = 0;
    await this.attempt(() => this.backend.stopMicTest());
  }

  async simulateCustomerCall(): Promise<void> {
    await this.attempt(() => this.backend.simulateCustomerCall());
  }

  /** Loads the inbox; a failure is shown in the inbox itself (`conversationsError`). */
  async loadConversations(): Promise<void> {
    try {
      this.conversations = sortConversations(await this.backend.listConversations());
      this.conversationsError = null;
    } catch (error) {
      this.conversationsError = toBackendError(error);
    }
  }

  /** True when the platform took the text (the conversation update shows it). */
  async sendText(conversationId: string, text: string): Promise<boolean> {
    return (await this.attempt(() => this.backend.sendText(conversationId, text))).ok;
  }

  async requestPermission(conversationId: string): Promise<void> {
    await this.attempt(() => this.backend.requestPermission(conversationId));
  }

  async placeCall(conversationId: string): Promise<void> {
    await this.attempt(() => this.backend.placeCall(conversationId));
  }

  /** The conversation is on screen: its customer messages so far are read. */
  markSeen(conversation: Conversation): void {
    const latest = latestInbound(conversation);
    if (latest > (this.seenUpTo[conversation.id] ?? -Infinity)) {
      this.seenUpTo = { ...this.seenUpTo, [conversation.id]: latest };
    }
  }

  /** The customer wrote something the agent has not had on screen yet. */
  isUnread(conversation: Conversation): boolean {
    const latest = latestInbound(conversation);
    return latest > -Infinity && latest > (this.seenUpTo[conversation.id] ?? -Infinity);
  }

  unreadCount = $derived((this.conversations ?? []).filter((c) => this.isUnread(c)).length);

  dismissEnded(): void {
    this.lastEnded = null;
  }

  dismissError(): void {
    this.lastError = null;
  }

  dismissNotice(code: string): void {
    this.notices = this.notices.filter((n) => n.code !== code);
  }

  /** App info failing (an older core) must not block signing in, so it has its own error. */
  private async loadAppInfo(): Promise<void> {
    try {
      this.appInfo = await this.backend.appInfo();
      this.appInfoError = null;
    } catch (error) {
      this.appInfoError = toBackendError(error);
    }
  }

  private async enterSession(session: Session): Promise<void> {
    this.session = session;
    this.presence = session.presence;
    if (!this.loadDevices) return;
    await this.refreshDevices();
    await this.loadConversations();
  }

  /** Only a window that listed the inbox keeps it (the popup never does). */
  private conversationChanged(conversation: Conversation): void {
    if (!this.conversations) return;
    const others = this.conversations.filter((c) => c.id !== conversation.id);
    this.conversations = sortConversations([conversation, ...others]);
  }

  /** A permission belongs to every conversation between its business and customer numbers. */
  private permissionChanged(permission: PermissionState): void {
    if (!this.conversations) return;
    this.conversations = this.conversations.map((c) =>
      c.business_number === permission.business_number &&
      c.customer.number === permission.customer_number
        ? { ...c, permission }
        : c,
    );
  }

  private dropIncoming(callId: string): void {
    this.incoming = this.incoming.filter((c) => c.callId !== callId);
  }

  /** Runs a backend call; a failure is kept in `lastError` for display. */
  private async attempt<T>(action: () => Promise<T>): Promise<Outcome<T>> {
    try {
      const value = await action();
      this.lastError = null;
      return { ok: true, value };
    } catch (error) {
      this.lastError = toBackendError(error);
      return { ok: false };
    }
  }
}

/** Latest message (or customer activity) first. */
function sortConversations(list: Conversation[]): Conversation[] {
  const latest = (c: Conversation) =>
    Math.max(
      ...c.recent_messages.map((m) => Date.parse(m.at)),
      c.last_customer_activity_at === null ? 0 : Date.parse(c.last_customer_activity_at),
    );
  return [...list].sort((a, b) => latest(b) - latest(a));
}

/** When the customer last wrote in this conversation (-Infinity if never, in what is kept). */
function latestInbound(conversation: Conversation): number {
  return Math.max(
    -Infinity,
    ...conversation.recent_messages
      .filter((m) => m.direction === 'inbound')
      .map((m) => Date.parse(m.at)),
  );
}
