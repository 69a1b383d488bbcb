import { afterEach, describe, expect, test } from 'vitest';
import { cleanup } from 'vitest-browser-svelte';
import { demoHistory } from '../src/backend/demo-data';
import { renderSignedIn } from './support';

afterEach(() => cleanup());

describe('call history', () => {
  test('lists every call, newest first', async () => {
    const history = demoHistory(Date.UTC(2026, 0, 5, 12));
    const { screen } = await renderSignedIn({ history });

    const rows = screen.getByTestId('history-row');
    await expect.poll(() => rows.elements().length).toBe(history.length);
    const shown = rows.elements().map((el) => el.dataset.status);
    expect(shown).toEqual(['completed', 'missed', 'completed', 'rejected', 'failed', 'completed']);
  });

  test('the status filter shows only calls with that status', async () => {
    const history = demoHistory(Date.UTC(2026, 0, 5, 12));
    const { screen } = await renderSignedIn({ history });
    const rows = screen.getByTestId('history-row');
    await expect.poll(() => rows.elements().length).toBe(history.length);

    await screen.getByTestId('history-filter').selectOptions('completed');
    await expect.poll(() => rows.elements().length).toBe(3);
    expect(rows.elements().every((el) => el.dataset.status === 'completed')).toBe(true);

    await screen.getByTestId('history-filter').selectOptions('missed');
    await expect.poll(() => rows.elements().length).toBe(1);
    await expect.element(rows).toHaveAttribute('data-status', 'missed');

    await screen.getByTestId('history-filter').selectOptions('all_agents_busy');
    await expect.element(screen.getByTestId('history-empty')).toBeVisible();
    expect(rows.elements()).toHaveLength(0);

    await screen.getByTestId('history-filter').selectOptions('');
    await expect.poll(() => rows.elements().length).toBe(history.length);
  });
});
