import { afterEach, describe, expect, test } from 'vitest';
import { cleanup } from 'vitest-browser-svelte';
import type { TeamMember } from '../src/backend/types';
import { renderSignedIn } from './support';

afterEach(() => cleanup());

function member(name: string, extra: Partial<TeamMember> = {}): TeamMember {
  return { agent_id: `id-${name}`, name, presence: 'available', call: null, ...extra };
}

describe('team view', () => {
  test('an agent, who gets no team from the platform, has no Team tab', async () => {
    const { screen } = await renderSignedIn();
    await expect.element(screen.getByTestId('tab-history')).toBeInTheDocument();
    await expect.element(screen.getByTestId('tab-team')).not.toBeInTheDocument();
  });

  test("a supervisor watches an agent's call go from ringing to on call to done, live", async () => {
    const { screen, platform, clock } = await renderSignedIn();
    platform.setTeam([member('alice'), member('sam', { presence: 'away' })]);
    await screen.getByTestId('tab-team').click();

    const alice = screen.getByTestId('team-member').filter({ hasText: 'alice' });
    await expect.element(alice).toHaveAttribute('data-state', 'available');
    await expect
      .element(screen.getByTestId('team-summary'))
      .toHaveTextContent('0 on call · 0 ringing or connecting · 1 available · 1 away · 0 offline');

    const customer = { number: '5511987654321', profile_name: 'Maria Souza' };
    const call = { call_id: 'wacid.T1', direction: 'inbound' as const, customer };
    platform.setTeam([
      member('alice', { call: { ...call, phase: 'ringing', since: new Date(clock.now()).toISOString() } }),
      member('sam', { presence: 'away' }),
    ]);
    await expect.element(alice).toHaveAttribute('data-state', 'ringing');
    await expect.element(alice.getByTestId('team-member-call')).toHaveTextContent('From Maria Souza +5511987654321');

    const answeredAt = clock.now();
    platform.setTeam([
      member('alice', { call: { ...call, phase: 'on_call', since: new Date(answeredAt).toISOString() } }),
      member('sam', { presence: 'away' }),
    ]);
    await expect.element(alice.getByTestId('team-member-state')).toHaveTextContent('On call');
    clock.advance(65_000);
    await expect.element(alice.getByTestId('team-member-duration')).toHaveTextContent('1:05');
    await expect.element(screen.getByTestId('team-summary')).toHaveTextContent('1 on call');

    platform.setTeam([member('alice'), member('sam', { presence: 'offline' })]);
    await expect.element(alice).toHaveAttribute('data-state', 'available');
    await expect.element(alice.getByTestId('team-member-duration')).toHaveTextContent('');
    const sam = screen.getByTestId('team-member').filter({ hasText: 'sam' });
    await expect.element(sam).toHaveAttribute('data-state', 'offline');
  });
});
