import { describe, expect, test } from 'vitest';
import { ManualClock } from '../src/lib/clock';
import { ROUTING_LABELS, formatAccelerator, formatDuration, formatPhone, localDate } from '../src/lib/format';
import { windowRole } from '../src/lib/window-role';
import { toBackendError } from '../src/backend/types';

describe('formatDuration', () => {
  test.each([
    [0, '0:00'],
    [9.9, '0:09'],
    [75, '1:15'],
    [3725, '1:02:05'],
    [-3, '0:00'],
  ])('%s s → %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

test('formatPhone adds the + that the wire form drops, once', () => {
  expect(formatPhone('15551234567')).toBe('+15551234567');
  expect(formatPhone('+15551234567')).toBe('+15551234567');
});

describe('ManualClock', () => {
  test('fires timers in due order, each as often as its interval fits', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.every(300, () => fired.push(`a@${clock.now()}`));
    clock.every(500, () => fired.push(`b@${clock.now()}`));

    clock.advance(1000);

    expect(fired).toEqual(['a@300', 'b@500', 'a@600', 'a@900', 'b@1000']);
    expect(clock.now()).toBe(1000);
  });

  test('a cancelled timer stops firing', () => {
    const clock = new ManualClock(0);
    let ticks = 0;
    const stop = clock.every(100, () => ticks++);
    clock.advance(250);
    stop();
    clock.advance(1000);
    expect(ticks).toBe(2);
  });
});

test('windowRole: the Tauri label decides in the app, ?view in a browser', () => {
  expect(windowRole('popup', '')).toBe('popup');
  expect(windowRole('ringdesk', '?view=popup')).toBe('main');
  expect(windowRole(null, '?view=popup')).toBe('popup');
  expect(windowRole(null, '')).toBe('main');
});

test('toBackendError keeps codes and wraps everything else as internal', () => {
  expect(toBackendError({ code: 'x', message: 'y', extra: 1 })).toEqual({ code: 'x', message: 'y' });
  expect(toBackendError(new Error('boom'))).toEqual({ code: 'internal', message: 'boom' });
  expect(toBackendError(42)).toEqual({ code: 'internal', message: '42' });
});

test('formatAccelerator names the keys as each OS does', () => {
  expect(formatAccelerator('CommandOrControl+Shift+A', false)).toBe('Ctrl+Shift+A');
  expect(formatAccelerator('CommandOrControl+Shift+A', true)).toBe('⌘+Shift+A');
  expect(formatAccelerator('CmdOrCtrl+Alt+M', false)).toBe('Ctrl+Alt+M');
  expect(formatAccelerator('Alt+F4', true)).toBe('⌥+F4');
  expect(formatAccelerator('F9', false)).toBe('F9');
});

test('every routing reason has its own readable sentence', () => {
  const labels = Object.values(ROUTING_LABELS);
  expect(new Set(labels).size).toBe(labels.length);
  for (const label of labels) expect(label).toMatch(/^[A-Z][a-z]/);
});

describe('localDate', () => {
  test('is the calendar date in the given zone, as YYYY-MM-DD', () => {
    const lateUtc = Date.UTC(2026, 11, 4, 23, 30);
    expect(localDate(lateUtc, 'UTC')).toBe('2026-12-04');
    expect(localDate(lateUtc, 'Asia/Tokyo')).toBe('2026-12-05');
    expect(localDate(lateUtc, 'America/Sao_Paulo')).toBe('2026-12-04');
    expect(localDate(Date.UTC(2026, 0, 5, 1), 'America/Los_Angeles')).toBe('2026-01-04');
  });
});
