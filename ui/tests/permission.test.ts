import { describe, expect, test } from 'vitest';
import { permissionState, refused } from '../src/backend/scripted-inbox';
import type { PermissionState } from '../src/backend/types';
import {
  callRule,
  nextRequestLabel,
  permissionSummary,
  requestRule,
  windowLabel,
} from '../src/lib/permission';

const NOW = Date.UTC(2026, 0, 5, 9, 0);
const HOUR = 3_600_000;
const numbers = { business: '15550102000', customer: '5511912345678' };

function state(overrides: Partial<PermissionState> = {}): PermissionState {
  return {
    ...permissionState(numbers, { status: 'no_permission', lastCustomerActivityMs: NOW - HOUR }, NOW),
    ...overrides,
  };
}

describe('the Call button', () => {
  test('is enabled only when the platform allows a call', () => {
    const allowed = state({ status: 'temporary', expires_at: new Date(NOW + 48 * HOUR).toISOString(), call: { verdict: 'allowed' } });
    expect(callRule(allowed, NOW)).toEqual({ enabled: true, reason: null });
  });

  test('without permission it is disabled and says the platform reason as a sentence', () => {
    const rule = callRule(state(), NOW);
    expect(rule.enabled).toBe(false);
    expect(rule.reason).toBe('The customer has not given call permission; send a permission request.');
  });

  test('a temporary permission that lapsed since the snapshot disables it with the expiry', () => {
    const expires = NOW + HOUR;
    const granted = state({ status: 'temporary', expires_at: new Date(expires).toISOString(), call: { verdict: 'allowed' } });
    expect(callRule(granted, expires - 1).enabled).toBe(true);
    const lapsed = callRule(granted, expires);
    expect(lapsed.enabled).toBe(false);
    expect(lapsed.reason).toMatch(/^The customer's temporary call permission expired on .+; send a new permission request\.$/);
  });

  test('a limit refusal whose date has passed lets the platform decide again', () => {
    const limited = state({
      status: 'permanent',
      call: refused('connected_call_limit_reached', '100 connected calls to this customer in 24 h is the maximum', NOW + HOUR),
    });
    expect(callRule(limited, NOW).enabled).toBe(false);
    expect(callRule(limited, NOW + HOUR).enabled).toBe(true);
  });

  test('is disabled during another call, whatever the permission', () => {
    const allowed = state({ status: 'permanent', call: { verdict: 'allowed' } });
    expect(callRule(allowed, NOW, { onCall: true })).toEqual({ enabled: false, reason: 'You are on a call.' });
  });
});

describe('the Request permission button', () => {
  test('is enabled inside the window with no request in the last 24 h', () => {
    expect(requestRule(state(), NOW)).toEqual({ enabled: true, reason: null });
  });

  test('a second request within 24 h is refused with when the next one is possible', () => {
    const sent = permissionState(numbers, { status: 'no_permission', lastCustomerActivityMs: NOW - HOUR, lastRequestAtMs: NOW - 2 * HOUR }, NOW);
    const rule = requestRule(sent, NOW);
    expect(rule.enabled).toBe(false);
    expect(rule.reason).toContain('per 24 h is the maximum');
    expect(nextRequestLabel(sent, NOW)).toMatch(/^Next request possible on /);
    // 22 h later the limit is over.
    expect(requestRule(sent, NOW + 22 * HOUR).enabled).toBe(true);
    expect(nextRequestLabel(sent, NOW + 22 * HOUR)).toBeNull();
  });

  test('with the service window closed it is disabled with that reason', () => {
    const closed = permissionState(numbers, { status: 'no_permission', lastCustomerActivityMs: NOW - 25 * HOUR }, NOW);
    const rule = requestRule(closed, NOW);
    expect(rule.enabled).toBe(false);
    expect(rule.reason).toMatch(/^The customer service window is closed/);
    expect(windowLabel(closed, NOW)).toBe('Customer service window closed');
  });

  test('a permanent permission needs no request', () => {
    const permanent = permissionState(numbers, { status: 'permanent', lastCustomerActivityMs: NOW - HOUR }, NOW);
    expect(requestRule(permanent, NOW).reason).toMatch(/permanent call permission/);
    expect(callRule(permanent, NOW).enabled).toBe(true);
    expect(permissionSummary(permanent, NOW)).toBe('Permanent call permission');
  });
});
