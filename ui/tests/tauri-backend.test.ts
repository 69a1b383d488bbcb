import { afterEach, describe, expect, test } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { CORE_EVENT, TauriBackend } from '../src/backend/tauri';
import { InBrowserBackend } from '../src/backend/in-browser';
import { pickBackend, runningInTauri } from '../src/backend';
import { historyQuery, type BackendEvent } from '../src/backend/types';

afterEach(() => clearMocks());

describe('backend selection', () => {
  test('Tauri internals present → Tauri backend; absent → in-browser backend', () => {
    expect(runningInTauri({ __TAURI_INTERNALS__: {} })).toBe(true);
    expect(pickBackend({ __TAURI_INTERNALS__: {} })).toBeInstanceOf(TauriBackend);
    expect(runningInTauri({})).toBe(false);
    expect(pickBackend({})).toBeInstanceOf(InBrowserBackend);
  });
});

describe('TauriBackend', () => {
  test('invokes the Rust commands by name with camelCase arguments', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === 'sign_in') {
        return { platformUrl: 'https://p.test', agentName: 'Ana', presence: 'available' };
      }
      return null;
    });
    const backend = new TauriBackend();

    const session = await backend.signIn({ platformUrl: 'https://p.test', token: 't' });
    await backend.acceptCall('wacid.1');
    await backend.setMuted('wacid.1', true);
    await backend.selectDevice('input', 'mic-2');
    await backend.callHistory(historyQuery({ status: 'missed' }));

    expect(session.agentName).toBe('Ana');
    expect(calls).toEqual([
      ['sign_in', { request: { platformUrl: 'https://p.test', token: 't' } }],
      ['accept_call', { callId: 'wacid.1' }],
      ['set_muted', { callId: 'wacid.1', muted: true }],
      ['select_device', { kind: 'input', deviceId: 'mic-2' }],
      ['call_history', { query: historyQuery({ status: 'missed' }) }],
    ]);
  });

  test('settings, app info and demo commands go to the Rust commands by name', async () => {
    const calls: Array<[string, unknown]> = [];
    const info = {
      version: '0.3.0',
      demo: true,
      shortcuts: { answer: 'CommandOrControl+Shift+A', hangUp: 'CommandOrControl+Shift+H', toggleMute: 'CommandOrControl+Shift+M' },
    };
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return cmd === 'app_info' ? info : null;
    });
    const backend = new TauriBackend();

    expect(await backend.appInfo()).toEqual(info);
    await backend.selectDevice('ring', 'spk-2');
    await backend.testRingtone();
    await backend.startMicTest();
    await backend.stopMicTest();
    await backend.simulateCustomerCall();

    expect(calls.map(([cmd, args]) => [cmd, args ?? {}])).toEqual([
      ['app_info', {}],
      ['select_device', { kind: 'ring', deviceId: 'spk-2' }],
      ['test_ringtone', {}],
      ['start_mic_test', {}],
      ['stop_mic_test', {}],
      ['simulate_customer_call', {}],
    ]);
  });

  test('simulate_customer_call outside a demo rejects with not_demo', async () => {
    mockIPC(() => {
      throw { code: 'not_demo', message: 'Only in demo mode.' };
    });
    await expect(new TauriBackend().simulateCustomerCall()).rejects.toMatchObject({ code: 'not_demo' });
  });

  test('inbox commands go to the Rust commands by name; place_call returns the call id', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      if (cmd === 'list_conversations') return [];
      if (cmd === 'place_call') return 'wacid.out-1';
      return null;
    });
    const backend = new TauriBackend();

    expect(await backend.listConversations()).toEqual([]);
    await backend.sendText('conv-1', 'Hello');
    await backend.requestPermission('conv-1');
    expect(await backend.placeCall('conv-1')).toBe('wacid.out-1');

    expect(calls).toEqual([
      ['list_conversations', {}],
      ['send_text', { conversationId: 'conv-1', text: 'Hello' }],
      ['request_permission', { conversationId: 'conv-1' }],
      ['place_call', { conversationId: 'conv-1' }],
    ]);
  });

  test('a command error reaches the UI as { code, message }', async () => {
    mockIPC(() => {
      throw { code: 'no_such_call', message: 'This call is no longer ringing or in progress.' };
    });
    await expect(new TauriBackend().rejectCall('wacid.9')).rejects.toEqual({
      code: 'no_such_call',
      message: 'This call is no longer ringing or in progress.',
    });
  });

  test('an error without a code becomes code "internal"', async () => {
    mockIPC(() => {
      throw 'window not allowed';
    });
    await expect(new TauriBackend().signOut()).rejects.toEqual({
      code: 'internal',
      message: 'window not allowed',
    });
  });

  test('core events arrive through subscribe until unsubscribed', async () => {
    mockIPC(() => null, { shouldMockEvents: true });
    const received: BackendEvent[] = [];
    const unsubscribe = await new TauriBackend().subscribe((e) => received.push(e));

    await emit(CORE_EVENT, { type: 'presence_changed', presence: 'away' });
    await emit(CORE_EVENT, { type: 'mic_test_level', level: 0.5 });
    await emit(CORE_EVENT, { type: 'notice', notice: { code: 'media_failed', message: 'x' } });
    unsubscribe();
    await emit(CORE_EVENT, { type: 'presence_changed', presence: 'offline' });

    expect(received).toEqual([
      { type: 'presence_changed', presence: 'away' },
      { type: 'mic_test_level', level: 0.5 },
      { type: 'notice', notice: { code: 'media_failed', message: 'x' } },
    ]);
  });
});
