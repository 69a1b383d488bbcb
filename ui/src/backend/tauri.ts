import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { Backend, Unsubscribe } from './backend';
import {
  toBackendError,
  type AppInfo,
  type AudioDevice,
  type BackendEvent,
  type CallRecord,
  type Conversation,
  type DeviceKind,
  type KpiReport,
  type CallQuery,
  type SelectablePresence,
  type Session,
  type SignInRequest,
} from './types';

/** The event name the Rust shell emits every `BackendEvent` on (see src-tauri/src/events.rs). */
export const CORE_EVENT = 'ringdesk:event';

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toBackendError(error);
  }
}

/** The desktop app's backend: Tauri commands and events (names match src-tauri/src/commands.rs). */
export class TauriBackend implements Backend {
  appInfo(): Promise<AppInfo> {
    return call('app_info');
  }

  currentSession(): Promise<Session | null> {
    return call('current_session');
  }

  signIn(request: SignInRequest): Promise<Session> {
    return call('sign_in', { request });
  }

  signOut(): Promise<void> {
    return call('sign_out');
  }

  setPresence(presence: SelectablePresence): Promise<void> {
    return call('set_presence', { presence });
  }

  acceptCall(callId: string): Promise<void> {
    return call('accept_call', { callId });
  }

  rejectCall(callId: string): Promise<void> {
    return call('reject_call', { callId });
  }

  hangUp(callId: string): Promise<void> {
    return call('hang_up', { callId });
  }

  setMuted(callId: string, muted: boolean): Promise<void> {
    return call('set_muted', { callId, muted });
  }

  listDevices(): Promise<AudioDevice[]> {
    return call('list_devices');
  }

  selectDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    return call('select_device', { kind, deviceId });
  }

  testRingtone(): Promise<void> {
    return call('test_ringtone');
  }

  startMicTest(): Promise<void> {
    return call('start_mic_test');
  }

  stopMicTest(): Promise<void> {
    return call('stop_mic_test');
  }

  simulateCustomerCall(): Promise<void> {
    return call('simulate_customer_call');
  }

  callHistory(query: CallQuery): Promise<CallRecord[]> {
    return call('call_history', { query });
  }

  exportHistory(query: CallQuery): Promise<string> {
    return call('export_history', { query });
  }

  teamFigures(from: string, to: string, timezone: string): Promise<KpiReport> {
    return call('team_figures', { from, to, timezone });
  }

  callRecording(callId: string): Promise<ArrayBuffer> {
    return call('call_recording', { callId });
  }

  listConversations(): Promise<Conversation[]> {
    return call('list_conversations');
  }

  sendText(conversationId: string, text: string): Promise<void> {
    return call('send_text', { conversationId, text });
  }

  requestPermission(conversationId: string): Promise<void> {
    return call('request_permission', { conversationId });
  }

  placeCall(conversationId: string): Promise<string> {
    return call('place_call', { conversationId });
  }

  async subscribe(handler: (event: BackendEvent) => void): Promise<Unsubscribe> {
    const unlisten = await listen<BackendEvent>(CORE_EVENT, (event) => handler(event.payload));
    return unlisten;
  }
}
