import type { Backend, Unsubscribe } from './backend';
import { systemClock, type Clock } from '../lib/clock';
import { demoRecording } from './demo-data';
import {
  TEMPORARY_PERMISSION_MS,
  permissionState,
  requireAllowed,
  type PermissionFacts,
} from './scripted-inbox';
import type {
  ActiveCall,
  AppInfo,
  AudioDevice,
  BackendError,
  BackendEvent,
  CallEndReason,
  CallRecord,
  ConnectionState,
  Conversation,
  DeviceKind,
  CallQuery,
  CancelReason,
  IncomingCall,
  Levels,
  QualityWarning,
  Notice,
  TeamMember,
  HistoryView,
  AgentDay,
  KpiReport,
  Presence,
  SelectablePresence,
  Session,
  SignInRequest,
} from './types';

export interface InBrowserOptions {
  clock?: Clock;
  agentName?: string;
  /** When set, only this token signs in; otherwise any non-empty token does. */
  validToken?: string;
  devices?: AudioDevice[];
  history?: CallRecord[];
  /** Emit simulated level meter readings every 100 ms during a call. */
  simulateLevels?: boolean;
  /** What `appInfo` reports; `demo` (default false) enables `simulateCustomerCall`. */
  demo?: boolean;
  version?: string;
  shortcuts?: AppInfo['shortcuts'];
  /** False plays a refusing OS keyring: sessions then report `tokenRemembered: false`. */
  keyringAvailable?: boolean;
  /** The agent's inbox (see scripted-inbox.ts for builders). */
  conversations?: Conversation[];
  /**
   * The demo's customers act by themselves: a placed call rings after 1 s and is answered
   * after 3 s; a permission request is accepted (temporary) after 2 s. Tests play them by hand.
   */
  customersActAlone?: boolean;
}

/** A call the agent placed, kept to write its record when it ends. */
interface Placed {
  conversation: Conversation;
  offeredAtMs: number;
}

/** The desktop app's default global shortcuts (Tauri accelerators). */
export const DEFAULT_SHORTCUTS: AppInfo['shortcuts'] = {
  answer: 'CommandOrControl+Shift+A',
  hangUp: 'CommandOrControl+Shift+H',
  toggleMute: 'CommandOrControl+Shift+M',
};

const DEFAULT_DEVICES: AudioDevice[] = [
  { id: 'mic-headset', name: 'Headset microphone', kind: 'input', selected: true },
  { id: 'mic-laptop', name: 'Built-in microphone', kind: 'input', selected: false },
  { id: 'spk-headset', name: 'Headset earpiece', kind: 'output', selected: true },
  { id: 'spk-laptop', name: 'Built-in speakers', kind: 'output', selected: false },
  // Ring devices are outputs too: the ringtone often plays on the laptop while the headset
  // carries the call.
  { id: 'spk-headset', name: 'Headset earpiece', kind: 'ring', selected: false },
  { id: 'spk-laptop', name: 'Built-in speakers', kind: 'ring', selected: true },
];

/** Callers the demo's "Simulate customer call" takes turns with. */
const DEMO_CALLERS: Array<Pick<IncomingCall, 'customerName' | 'customerNumber' | 'routedBecause'>> = [
  { customerName: 'Maria Souza', customerNumber: '5511912345678', routedBecause: 'open_conversation' },
  { customerName: 'João Pereira', customerNumber: '5521998761122', routedBecause: 'contact_owner' },
  { customerName: null, customerNumber: '447700900123', routedBecause: 'round_robin' },
];

function fail(code: string, message: string): BackendError {
  return { code, message };
}

/** The history tabs as the platform applies them (`history::View`). */
function inView(record: CallRecord, view: HistoryView | null): boolean {
  switch (view) {
    case null:
    case 'all':
      return true;
    case 'received':
      return record.direction === 'inbound';
    case 'outbound':
      return record.direction === 'outbound';
    case 'missed':
      return record.direction === 'inbound' && record.answered_at === null && record.status !== 'ringing';
  }
}

/**
 * A scripted stand-in for the Rust core and the platform, running entirely in the page.
 * The app side uses it through `Backend`; a test or the demo panel plays the platform with
 * `offerCall`, `cancelCall`, `remoteHangUp`, `setConnection`, `setLevels` and `notify`.
 * Device commands and the history need a session, as in the desktop core.
 */
export class InBrowserBackend implements Backend {
  private readonly clock: Clock;
  private readonly options: InBrowserOptions;
  private readonly handlers = new Set<(event: BackendEvent) => void>();
  private session: Session | null = null;
  private presenceBeforeCall: Presence = 'available';
  private devices: AudioDevice[];
  private readonly history: CallRecord[];
  private readonly ringing = new Map<string, IncomingCall>();
  private active: ActiveCall | null = null;
  /** The offer behind the active call, kept to write its record when it ends. */
  private readonly pendingRecords = new Map<string, IncomingCall>();
  private readonly conversations: Conversation[];
  private readonly permissionFacts = new Map<string, PermissionFacts>();
  private readonly placed = new Map<string, Placed>();
  private stopLevels: (() => void) | null = null;
  private stopMicLevels: (() => void) | null = null;
  private nextCallNumber = 1;
  private simulatedCalls = 0;
  /** The `ring` device id of every ringtone test played, in order (for tests). */
  readonly ringtonePlays: string[] = [];

  constructor(options: InBrowserOptions = {}) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.devices = structuredClone(options.devices ?? DEFAULT_DEVICES);
    this.history = structuredClone(options.history ?? []);
    this.conversations = structuredClone(options.conversations ?? []);
    for (const c of this.conversations) this.permissionFacts.set(c.id, factsOf(c));
  }

  // ---- Backend (the app's side) ----

  async appInfo(): Promise<AppInfo> {
    return {
      version: this.options.version ?? '0.1.0',
      demo: this.options.demo ?? false,
      shortcuts: { ...(this.options.shortcuts ?? DEFAULT_SHORTCUTS) },
    };
  }

  async currentSession(): Promise<Session | null> {
    return this.session ? { ...this.session } : null;
  }

  async signIn(request: SignInRequest): Promise<Session> {
    let url: URL;
    try {
      url = new URL(request.platformUrl);
    } catch {
      throw fail('invalid_platform_url', 'The platform URL is not a valid URL.');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw fail('invalid_platform_url', 'The platform URL must start with https:// or http://.');
    }
    if (url.protocol === 'http:' && !isLoopback(url.hostname) && request.insecureHttp !== true) {
      throw fail(
        'insecure',
        `platform URL ${request.platformUrl} is plain http:// to another machine: agent tokens ` +
          'and customer data would cross the network unencrypted. Use https://, or turn on ' +
          '"allow insecure http" if you really mean it.',
      );
    }
    if (request.token.trim() === '') throw fail('missing_token', 'Enter your agent token.');
    if (this.options.validToken !== undefined && request.token !== this.options.validToken) {
      throw fail('unauthorized', 'The platform did not accept this token.');
    }
    this.session = {
      platformUrl: url.origin,
      agentName: this.options.agentName ?? 'Demo Agent',
      presence: 'available',
      tokenRemembered: this.options.keyringAvailable ?? true,
    };
    this.setConnection('connecting');
    this.setConnection('connected');
    return { ...this.session };
  }

  async signOut(): Promise<void> {
    this.endActiveCall('local_hangup');
    this.haltMicTest();
    for (const callId of [...this.ringing.keys()]) this.cancelCall(callId, 'answered_elsewhere');
    this.session = null;
    this.setConnection('disconnected');
  }

  async setPresence(presence: SelectablePresence): Promise<void> {
    const session = this.requireSession();
    if (this.active) throw fail('on_call', 'Presence changes after the call ends.');
    session.presence = presence;
    this.emit({ type: 'presence_changed', presence });
  }

  async acceptCall(callId: string): Promise<void> {
    const session = this.requireSession();
    const offer = this.ringing.get(callId);
    if (!offer) throw fail('no_such_call', 'This call is no longer ringing.');
    if (this.active) throw fail('already_on_call', 'Hang up the current call first.');
    this.ringing.delete(callId);
    this.active = {
      callId,
      customerName: offer.customerName,
      customerNumber: offer.customerNumber,
      businessNumber: offer.businessNumber,
      direction: 'inbound',
      phase: 'connected',
      answeredAtMs: this.clock.now(),
      muted: false,
      qualityWarnings: [],
    };
    this.pendingRecords.set(callId, offer);
    this.presenceBeforeCall = session.presence;
    session.presence = 'busy';
    this.emit({ type: 'presence_changed', presence: 'busy' });
    this.emit({ type: 'call_started', call: { ...this.active } });
    if (this.options.simulateLevels) {
      this.stopLevels = this.clock.every(100, () => this.emitSimulatedLevels());
    }
  }

  async rejectCall(callId: string): Promise<void> {
    this.requireSession();
    const offer = this.ringing.get(callId);
    if (!offer) throw fail('no_such_call', 'This call is no longer ringing.');
    this.ringing.delete(callId);
    this.record(offer, 'rejected', null, 'agent');
  }

  async hangUp(callId: string): Promise<void> {
    if (!this.active || this.active.callId !== callId) {
      throw fail('no_such_call', 'There is no such call in progress.');
    }
    this.endActiveCall('local_hangup');
  }

  async setMuted(callId: string, muted: boolean): Promise<void> {
    if (!this.active || this.active.callId !== callId) {
      throw fail('no_such_call', 'There is no such call in progress.');
    }
    this.active = { ...this.active, muted };
    this.emit({ type: 'call_updated', call: { ...this.active } });
  }

  async listDevices(): Promise<AudioDevice[]> {
    this.requireSession();
    return structuredClone(this.devices);
  }

  async selectDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    this.requireSession();
    if (!this.devices.some((d) => d.kind === kind && d.id === deviceId)) {
      throw fail('no_such_device', 'That device is not connected.');
    }
    this.devices = this.devices.map((d) =>
      d.kind === kind ? { ...d, selected: d.id === deviceId } : d,
    );
    this.emit({ type: 'devices_changed', devices: structuredClone(this.devices) });
  }

  async testRingtone(): Promise<void> {
    this.requireSession();
    this.ringtonePlays.push(this.selectedDevice('ring').id);
  }

  async startMicTest(): Promise<void> {
    this.requireSession();
    this.selectedDevice('input');
    if (this.stopMicLevels) return;
    this.stopMicLevels = this.clock.every(50, () => {
      const t = this.clock.now() / 1000;
      this.emitMicTestLevel(0.15 + 0.6 * Math.abs(Math.sin(t * 2.7)));
    });
  }

  async stopMicTest(): Promise<void> {
    this.haltMicTest();
  }

  async simulateCustomerCall(): Promise<void> {
    if (!(this.options.demo ?? false)) {
      throw fail('not_demo', 'Simulated calls exist only in the demo (cargo xtask run).');
    }
    this.requireSession();
    const caller = DEMO_CALLERS[this.simulatedCalls++ % DEMO_CALLERS.length];
    this.offerCall({ ...caller });
  }

  async callHistory(query: CallQuery): Promise<CallRecord[]> {
    this.requireSession();
    const from = query.from === null ? -Infinity : Date.parse(query.from);
    const to = query.to === null ? Infinity : Date.parse(query.to);
    return this.history
      .filter((r) => inView(r, query.view))
      .filter((r) => query.status === null || r.status === query.status)
      .filter((r) => query.direction === null || r.direction === query.direction)
      .filter((r) => Date.parse(r.offered_at) >= from && Date.parse(r.offered_at) < to)
      .sort((a, b) => Date.parse(b.offered_at) - Date.parse(a.offered_at))
      .map((r) => structuredClone(r));
  }

  /** The CSV texts `exportHistory` produced, oldest first. */
  readonly exports: string[] = [];

  async exportHistory(query: CallQuery): Promise<string> {
    const rows = await this.callHistory(query);
    const header = 'id,direction,status,channel,business_number,customer_number,customer_name';
    const lines = rows.map((r) =>
      [r.id, r.direction, r.status, r.channel, r.business_number, r.customer.number, r.customer.profile_name ?? '']
        .map((field) => (/[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field))
        .join(','),
    );
    this.exports.push([header, ...lines].join('\r\n') + '\r\n');
    return `/home/agent/Downloads/ringdesk-calls-${this.exports.length}.csv`;
  }

  /** What `teamFigures` answers (rows as the platform would compute them); none by default. */
  figures: AgentDay[] = [];
  /** The `teamFigures` requests made, as [from, to, timezone]. */
  readonly figureRequests: Array<[string, string, string]> = [];

  async teamFigures(from: string, to: string, timezone: string): Promise<KpiReport> {
    this.requireSession();
    this.figureRequests.push([from, to, timezone]);
    const rows = this.figures.filter((r) => r.date >= from && r.date <= to);
    return { from, to, timezone, rows: structuredClone(rows) };
  }

  async callRecording(callId: string): Promise<ArrayBuffer> {
    this.requireSession();
    const record = this.history.find((r) => r.id === callId);
    if (!record?.recording) {
      throw fail('http_error', `No recording of ${callId} visible to this agent.`);
    }
    return demoRecording();
  }

  async listConversations(): Promise<Conversation[]> {
    this.requireSession();
    return this.conversations.map((c) => structuredClone(this.refreshed(c)));
  }

  async sendText(conversationId: string, text: string): Promise<void> {
    this.requireSession();
    const conversation = this.conversation(conversationId);
    if (text.trim() === '') throw fail('invalid', 'Write a message first.');
    if (this.refreshed(conversation).permission.service_window_closes_at === null) {
      throw fail(
        'customer_service_window_closed',
        "The customer service window is closed: a text is possible only within 24 h of the customer's last message or call.",
      );
    }
    this.addMessage(conversation, 'outbound', { kind: 'text', text });
  }

  async requestPermission(conversationId: string): Promise<void> {
    this.requireSession();
    const conversation = this.conversation(conversationId);
    requireAllowed(this.refreshed(conversation).permission.request);
    this.facts(conversationId).lastRequestAtMs = this.clock.now();
    this.addMessage(conversation, 'outbound', { kind: 'call_permission_request' });
    this.emit({ type: 'permission_changed', permission: structuredClone(conversation.permission) });
    if (this.options.customersActAlone) {
      this.after(2_000, () => this.customerReplies(conversationId, 'accept_temporary'));
    }
  }

  async placeCall(conversationId: string): Promise<string> {
    const session = this.requireSession();
    const conversation = this.conversation(conversationId);
    if (this.active) throw fail('call_in_progress', 'Not possible during a call.');
    requireAllowed(this.refreshed(conversation).permission.call);
    const callId = `demo-out-${this.nextCallNumber++}`;
    this.active = {
      callId,
      customerName: conversation.customer.profile_name,
      customerNumber: conversation.customer.number,
      businessNumber: conversation.business_number,
      direction: 'outbound',
      phase: 'calling',
      answeredAtMs: this.clock.now(),
      muted: false,
      qualityWarnings: [],
    };
    this.placed.set(callId, { conversation, offeredAtMs: this.clock.now() });
    this.presenceBeforeCall = session.presence;
    session.presence = 'busy';
    this.emit({ type: 'call_started', call: { ...this.active } });
    this.emit({ type: 'presence_changed', presence: 'busy' });
    if (this.options.customersActAlone) {
      this.after(1_000, () => this.customerRings(callId));
      this.after(3_000, () => this.customerAnswers(callId));
    }
    return callId;
  }

  async subscribe(handler: (event: BackendEvent) => void): Promise<Unsubscribe> {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  // ---- The scripted platform's side ----

  /** Offers a call to the agent as the platform would; returns what was offered. */
  offerCall(call: Partial<IncomingCall> = {}): IncomingCall {
    const offer: IncomingCall = {
      callId: call.callId ?? `demo-call-${this.nextCallNumber++}`,
      customerName: call.customerName === undefined ? 'Maria Souza' : call.customerName,
      customerNumber: call.customerNumber ?? '5511912345678',
      businessNumber: call.businessNumber ?? '15550102000',
      routedBecause: call.routedBecause ?? 'open_conversation',
      offeredAtMs: call.offeredAtMs ?? this.clock.now(),
    };
    this.ringing.set(offer.callId, offer);
    this.emit({ type: 'incoming_call', call: { ...offer } });
    return offer;
  }

  /** The call stopped ringing before the agent answered. */
  cancelCall(callId: string, reason: CancelReason = 'caller_hung_up'): void {
    const offer = this.ringing.get(callId);
    if (!offer) return;
    this.ringing.delete(callId);
    if (reason !== 'answered_elsewhere') this.record(offer, 'missed', null, 'customer');
    this.emit({ type: 'call_cancelled', callId, reason });
  }

  /** The customer hung up an answered call. */
  remoteHangUp(): void {
    this.endActiveCall('remote_hangup');
  }

  /** The customer writes: the message is added and the 24 h window opens again. */
  customerWrites(conversationId: string, text: string): void {
    const conversation = this.conversation(conversationId);
    this.facts(conversationId).lastCustomerActivityMs = this.clock.now();
    conversation.last_customer_activity_at = new Date(this.clock.now()).toISOString();
    this.addMessage(conversation, 'inbound', { kind: 'text', text });
  }

  /** The customer answers a permission request. */
  customerReplies(
    conversationId: string,
    reply: 'accept_temporary' | 'accept_permanent' | 'reject',
  ): void {
    const conversation = this.conversation(conversationId);
    const facts = this.facts(conversationId);
    if (reply === 'accept_temporary') {
      facts.status = 'temporary';
      facts.expiresAtMs = this.clock.now() + TEMPORARY_PERMISSION_MS;
    } else if (reply === 'accept_permanent') {
      facts.status = 'permanent';
      facts.expiresAtMs = null;
    }
    this.addMessage(conversation, 'inbound', { kind: 'call_permission_reply', reply });
    this.emit({ type: 'permission_changed', permission: structuredClone(conversation.permission) });
  }

  /** The customer's phone rings for the call the agent placed. */
  customerRings(callId: string): void {
    if (this.active?.callId !== callId || this.active.phase !== 'calling') return;
    this.active = { ...this.active, phase: 'ringing' };
    this.emit({ type: 'call_updated', call: { ...this.active } });
  }

  /** The customer picks up the call the agent placed: the timer starts now. */
  customerAnswers(callId: string): void {
    if (this.active?.callId !== callId || this.active.phase === 'connected') return;
    this.active = { ...this.active, phase: 'connected', answeredAtMs: this.clock.now() };
    this.emit({ type: 'call_updated', call: { ...this.active } });
    if (this.options.simulateLevels) {
      this.stopLevels = this.clock.every(100, () => this.emitSimulatedLevels());
    }
  }

  /** The customer declines the call the agent placed. */
  customerDeclines(callId: string): void {
    if (this.active?.callId === callId) this.endActiveCall('declined');
  }

  /** Nobody picks up the call the agent placed. */
  customerMisses(callId: string): void {
    if (this.active?.callId === callId) this.endActiveCall('no_answer');
  }

  /** Runs `action` with its events lost, as pushes are while the connection is down. */
  whileDisconnected(action: () => void): void {
    const saved = [...this.handlers];
    this.handlers.clear();
    try {
      action();
    } finally {
      for (const handler of saved) this.handlers.add(handler);
    }
  }

  setConnection(state: ConnectionState): void {
    this.emit({ type: 'connection_changed', state });
  }

  setLevels(levels: Levels): void {
    this.emit({ type: 'levels', levels });
  }

  /** The core's quality watcher reports these warnings holding for the call in progress. */
  setQualityWarnings(warnings: QualityWarning[]): void {
    if (!this.active) return;
    this.active = { ...this.active, qualityWarnings: [...warnings] };
    this.emit({ type: 'call_updated', call: { ...this.active } });
  }

  /**
   * Devices plugged in or out. The core announces it with `devices_changed`; `announce: false`
   * plays a change the UI only sees on its next `listDevices`.
   */
  setDevices(devices: AudioDevice[], { announce = true }: { announce?: boolean } = {}): void {
    this.devices = structuredClone(devices);
    if (announce) this.emit({ type: 'devices_changed', devices: structuredClone(this.devices) });
  }

  /** One microphone-test reading, as the core sends every 50 ms while the test runs. */
  emitMicTestLevel(level: number): void {
    this.emit({ type: 'mic_test_level', level });
  }

  get micTestRunning(): boolean {
    return this.stopMicLevels !== null;
  }

  /** Something went wrong outside any command (device unplugged, keyring refused…). */
  /** The core's recording uploader reports this many recordings still waiting. */
  /** As the platform would push it to a supervisor or admin: the whole team, live. */
  setTeam(members: TeamMember[]): void {
    this.emit({ type: 'team_changed', members: structuredClone(members) });
  }

  setRecordingsPending(count: number): void {
    this.emit({ type: 'recordings_pending', count });
  }

  notify(notice: Notice): void {
    this.emit({ type: 'notice', notice: { ...notice } });
  }

  // ---- internals ----

  private requireSession(): Session {
    if (!this.session) throw fail('not_signed_in', 'Sign in first.');
    return this.session;
  }

  private selectedDevice(kind: DeviceKind): AudioDevice {
    const device = this.devices.find((d) => d.kind === kind && d.selected);
    if (!device) throw fail('no_such_device', 'That device is not connected.');
    return device;
  }

  private haltMicTest(): void {
    this.stopMicLevels?.();
    this.stopMicLevels = null;
  }

  private endActiveCall(reason: CallEndReason): void {
    const call = this.active;
    if (!call) return;
    this.active = null;
    this.stopLevels?.();
    this.stopLevels = null;
    const endedBy = reason === 'local_hangup' ? 'agent' : 'customer';
    const offer = this.pendingRecords.get(call.callId);
    this.pendingRecords.delete(call.callId);
    if (offer) this.record(offer, 'completed', call.answeredAtMs, endedBy);
    const placed = this.placed.get(call.callId);
    this.placed.delete(call.callId);
    if (placed) this.recordPlaced(call, placed, reason, endedBy);
    this.emit({ type: 'call_ended', callId: call.callId, reason, message: null });
    if (this.session) {
      this.session.presence = this.presenceBeforeCall;
      this.emit({ type: 'presence_changed', presence: this.presenceBeforeCall });
    }
  }

  private emitSimulatedLevels(): void {
    if (!this.active) return;
    const t = this.clock.now() / 1000;
    const input = this.active.muted ? 0 : 0.35 + 0.3 * Math.abs(Math.sin(t * 2.1));
    const output = 0.3 + 0.3 * Math.abs(Math.sin(t * 1.3 + 1));
    this.setLevels({ input, output });
  }

  /** Writes the record the platform would keep for an inbound call that just became final. */
  private record(
    offer: IncomingCall,
    status: CallRecord['status'],
    answeredAtMs: number | null,
    endedBy: NonNullable<CallRecord['ended_by']>,
  ) {
    const endedAtMs = this.clock.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const agentId = this.session?.agentName ?? 'agent';
    this.history.push({
      id: offer.callId,
      direction: 'inbound',
      channel: 'whatsapp',
      business_number: offer.businessNumber,
      customer: { number: offer.customerNumber, profile_name: offer.customerName },
      agents_rung: [
        {
          agent_id: agentId,
          routed_because: offer.routedBecause,
          rung_at: iso(offer.offeredAtMs),
          ended_at: iso(answeredAtMs ?? endedAtMs),
          outcome: status === 'completed' ? 'accepted' : status === 'rejected' ? 'rejected' : 'cancelled',
        },
      ],
      answered_by: answeredAtMs === null ? null : agentId,
      status,
      ended_by: endedBy,
      offered_at: iso(offer.offeredAtMs),
      answered_at: answeredAtMs === null ? null : iso(answeredAtMs),
      ended_at: iso(endedAtMs),
      duration_secs: answeredAtMs === null ? 0 : Math.round((endedAtMs - answeredAtMs) / 1000),
      meta_error_code: null,
      recording: null,
      quality: null,
    });
  }

  /** The record the platform keeps for a call the agent placed. */
  private recordPlaced(
    call: ActiveCall,
    placed: Placed,
    reason: CallEndReason,
    endedBy: NonNullable<CallRecord['ended_by']>,
  ) {
    const endedAtMs = this.clock.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const connected = call.phase === 'connected';
    const status: CallRecord['status'] = connected
      ? 'completed'
      : reason === 'declined'
        ? 'rejected'
        : reason === 'failed'
          ? 'failed'
          : 'missed';
    this.history.push({
      id: call.callId,
      direction: 'outbound',
      channel: 'whatsapp',
      business_number: call.businessNumber,
      customer: structuredClone(placed.conversation.customer),
      agents_rung: [],
      answered_by: connected ? (this.session?.agentName ?? 'agent') : null,
      status,
      ended_by: endedBy,
      offered_at: iso(placed.offeredAtMs),
      answered_at: connected ? iso(call.answeredAtMs) : null,
      ended_at: iso(endedAtMs),
      duration_secs: connected ? Math.round((endedAtMs - call.answeredAtMs) / 1000) : 0,
      meta_error_code: null,
      recording: null,
      quality: null,
    });
  }

  private conversation(id: string): Conversation {
    const conversation = this.conversations.find((c) => c.id === id);
    if (!conversation) throw fail('unknown_conversation', 'This conversation is not yours or no longer exists.');
    return conversation;
  }

  private facts(id: string): PermissionFacts {
    const facts = this.permissionFacts.get(id);
    if (!facts) throw fail('unknown_conversation', 'This conversation is not yours or no longer exists.');
    return facts;
  }

  /** The conversation with its permission computed now (a temporary one lapses silently). */
  private refreshed(conversation: Conversation): Conversation {
    conversation.permission = permissionState(
      { business: conversation.business_number, customer: conversation.customer.number },
      this.facts(conversation.id),
      this.clock.now(),
    );
    return conversation;
  }

  private addMessage(
    conversation: Conversation,
    direction: 'inbound' | 'outbound',
    body: Conversation['recent_messages'][number]['body'],
  ): void {
    const at = new Date(this.clock.now()).toISOString();
    conversation.recent_messages = [...conversation.recent_messages, { direction, at, body }].slice(-20);
    this.refreshed(conversation);
    this.emit({ type: 'conversation_updated', conversation: structuredClone(conversation) });
  }

  /** Runs `action` once, `ms` from now on this backend's clock. */
  private after(ms: number, action: () => void): void {
    const stop = this.clock.every(ms, () => {
      stop();
      action();
    });
  }

  private emit(event: BackendEvent): void {
    for (const handler of [...this.handlers]) handler(event);
  }
}

/** The rule inputs behind a conversation's permission snapshot (the scripted platform's ledger). */
function factsOf(conversation: Conversation): PermissionFacts {
  const p = conversation.permission;
  const ms = (t: string | null) => (t === null ? null : Date.parse(t));
  const nextRequest = ms(p.next_request_at);
  return {
    status: p.status,
    expiresAtMs: ms(p.expires_at),
    lastRequestAtMs: nextRequest === null ? null : nextRequest - 24 * 3_600_000,
    lastCustomerActivityMs: ms(conversation.last_customer_activity_at),
  };
}

/** This machine only, as the engine's rule (`softphone::transport::is_loopback_host`). */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/\.$/, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (host === '[::1]' || host === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
