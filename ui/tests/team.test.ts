import { afterEach, describe, expect, test } from 'vitest';
import { cleanup } from 'vitest-browser-svelte';
import type { AgentDay, TeamMember } from '../src/backend/types';
import { localDate } from '../src/lib/format';
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

  test("today's figures per agent come from the platform for the local day and refresh when a call ends", async () => {
    const { screen, platform, clock } = await renderSignedIn();
    const today = localDate(clock.now(), Intl.DateTimeFormat().resolvedOptions().timeZone);
    const row: AgentDay = {
      date: today,
      agent_id: 'id-alice',
      agent_name: 'alice',
      offered: 3,
      answered: 2,
      missed: 1,
      avg_answer_secs: 7.5,
      avg_talk_secs: 95,
      outbound_placed: 2,
      outbound_answered: 1,
    };
    platform.setTeam([member('alice')]);
    await screen.getByTestId('tab-team').click();
    await expect.element(screen.getByTestId('team-figures-empty')).toBeInTheDocument();
    expect(platform.figureRequests.at(-1)?.slice(0, 2)).toEqual([today, today]);

    platform.figures = [row];
    const customer = { number: '5511987654321', profile_name: null };
    const since = new Date(clock.now()).toISOString();
    const call = { call_id: 'wacid.T2', direction: 'inbound' as const, customer, phase: 'on_call' as const, since };
    platform.setTeam([member('alice', { call })]);
    // The call ends: the figures are fetched again.
    platform.setTeam([member('alice')]);
    const shown = screen.getByTestId('team-figures-row').filter({ hasText: 'alice' });
    await expect.element(shown).toBeInTheDocument();
    const cells = [...shown.element().querySelectorAll('td')].map((td) => td.textContent?.trim());
    expect(cells).toEqual(['alice', '3', '2', '1', '0:07', '1:35', '2 (1)']);
  });

  test('with several agents, a total row sums the counts and weights the averages by calls answered', async () => {
    const { screen, platform, clock } = await renderSignedIn();
    const today = localDate(clock.now(), Intl.DateTimeFormat().resolvedOptions().timeZone);
    const day = (name: string, answered: number, answer: number | null, talk: number | null): AgentDay => ({
      date: today,
      agent_id: `id-${name}`,
      agent_name: name,
      offered: answered + 1,
      answered,
      missed: 1,
      avg_answer_secs: answer,
      avg_talk_secs: talk,
      outbound_placed: 1,
      outbound_answered: 0,
    });
    // alice: 3 calls, 10 s to answer, 60 s talk; bob: 1 call, 30 s, 180 s; carol: none.
    platform.figures = [day('alice', 3, 10, 60), day('bob', 1, 30, 180), day('carol', 0, null, null)];
    platform.setTeam([member('alice'), member('bob'), member('carol')]);
    await screen.getByTestId('tab-team').click();
    const total = screen.getByTestId('team-figures-total');
    await expect.element(total).toBeInTheDocument();
    const cells = [...total.element().querySelectorAll('td')].map((td) => td.textContent?.trim());
    // (3·10 + 1·30) / 4 = 15 s; (3·60 + 1·180) / 4 = 90 s.
    expect(cells).toEqual(['All', '7', '4', '3', '0:15', '1:30', '3 (0)']);
  });
});

