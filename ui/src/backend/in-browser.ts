import type { Backend, Unsubscribe } from './backend';
import { systemClock, type Clock } from '../lib/clock';
import type {
  ActiveCall,
  AudioDevice,
  BackendError,
  BackendEvent,
  CallCancelReason,
  CallRecord,
  ConnectionState,
  DeviceKind,
  HistoryQuery,
  IncomingCall,
  Levels,
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
}

const DEFAULT_DEVICES: AudioDevice[] = [
  { id: 'mic-headset', name: 'Headset microphone', kind: 'input', selected: true },
  { id: 'mic-laptop', name: 'Built-in microphone', kind: 'input', selected: false },
  { id: 'spk-headset', name: 'Headset earpiece', kind: 'output', selected: true },
  { id: 'spk-laptop', name: 'Built-in speakers', kind: 'output', selected: false },
];

function fail(code: string, message: string): BackendError {
  return { code, message };
}

/**
 * A scripted stand-in for the Rust core and the platform, running entirely in the page.
 * The app side uses it through `Backend`; a test or the demo panel plays the platform with
 * `offerCall`, `cancelCall`, `remoteHangUp`, `setConnection` and `setLevels`.
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
  private stopLevels: (() => void) | null = null;
  private nextCallNumber = 1;

  constructor(options: InBrowserOptions = {}) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.devices = structuredClone(options.devices ?? DEFAULT_DEVICES);
    this.history = structuredClone(options.history ?? []);
  }

  // ---- Backend (the app's side) ----

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
    if (request.token.trim() === '') throw fail('missing_token', 'Enter your agent token.');
    if (this.options.validToken !== undefined && request.token !== this.options.validToken) {
      throw fail('unauthorized', 'The platform did not accept this token.');
    }
    this.session = {
      platformUrl: url.origin,
      agentName: this.options.agentName ?? 'Demo Agent',
      presence: 'available',
    };
    this.setConnection('connecting');
    this.setConnection('connected');
    return { ...this.session };
  }

  async signOut(): Promise<void> {
    this.endActiveCall('local_hangup');
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
      answeredAtMs: this.clock.now(),
      muted: false,
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
    this.record(offer, 'rejected', null);
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
    return structuredClone(this.devices);
  }

  async selectDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    if (!this.devices.some((d) => d.kind === kind && d.id === deviceId)) {
      throw fail('no_such_device', 'That device is not connected.');
    }
    this.devices = this.devices.map((d) =>
      d.kind === kind ? { ...d, selected: d.id === deviceId } : d,
    );
    this.emit({ type: 'devices_changed', devices: structuredClone(this.devices) });
  }

  async callHistory(query: HistoryQuery): Promise<CallRecord[]> {
    this.requireSession();
    return this.history
      .filter((r) => query.status === undefined || r.status === query.status)
      .sort((a, b) => b.offeredAtMs - a.offeredAtMs)
      .map((r) => ({ ...r }));
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
      customerNumber: call.customerNumber ?? '+55 11 91234-5678',
      businessNumber: call.businessNumber ?? '+1 555 010 2000',
      routedBecause: call.routedBecause ?? 'assigned_conversation',
      offeredAtMs: call.offeredAtMs ?? this.clock.now(),
    };
    this.ringing.set(offer.callId, offer);
    this.emit({ type: 'incoming_call', call: { ...offer } });
    return offer;
  }

  /** The call stopped ringing before the agent answered. */
  cancelCall(callId: string, reason: CallCancelReason = 'customer_hung_up'): void {
    const offer = this.ringing.get(callId);
    if (!offer) return;
    this.ringing.delete(callId);
    if (reason !== 'answered_elsewhere') this.record(offer, 'missed', null);
    this.emit({ type: 'call_cancelled', callId, reason });
  }

  /** The customer hung up an answered call. */
  remoteHangUp(): void {
    this.endActiveCall('remote_hangup');
  }

  setConnection(state: ConnectionState): void {
    this.emit({ type: 'connection_changed', state });
  }

  setLevels(levels: Levels): void {
    this.emit({ type: 'levels', levels });
  }

  // ---- internals ----

  private requireSession(): Session {
    if (!this.session) throw fail('not_signed_in', 'Sign in first.');
    return this.session;
  }

  private endActiveCall(reason: 'local_hangup' | 'remote_hangup'): void {
    const call = this.active;
    if (!call) return;
    this.active = null;
    this.stopLevels?.();
    this.stopLevels = null;
    const offer = this.pendingRecords.get(call.callId);
    this.pendingRecords.delete(call.callId);
    if (offer) {
      const durationSecs = Math.round((this.clock.now() - call.answeredAtMs) / 1000);
      this.record(offer, 'completed', durationSecs);
    }
    this.emit({ type: 'call_ended', callId: call.callId, reason });
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

  private record(offer: IncomingCall, status: CallRecord['status'], durationSecs: number | null) {
    this.history.push({
      callId: offer.callId,
      direction: 'inbound',
      status,
      customerName: offer.customerName,
      customerNumber: offer.customerNumber,
      businessNumber: offer.businessNumber,
      offeredAtMs: offer.offeredAtMs,
      durationSecs,
    });
  }

  private emit(event: BackendEvent): void {
    for (const handler of [...this.handlers]) handler(event);
  }
}
