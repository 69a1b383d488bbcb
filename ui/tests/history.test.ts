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

  test('each row shows direction, customer, status, time and talk duration', async () => {
    const nowMs = Date.UTC(2026, 0, 5, 12);
    const history = demoHistory(nowMs);
    const { screen } = await renderSignedIn({ history });
    const rows = screen.getByTestId('history-row');
    await expect.poll(() => rows.elements().length).toBe(history.length);

    // Newest first: João Pereira (inbound, completed, 5:14), then the nameless missed call.
    const first = rows.nth(0);
    await expect.element(first).toHaveAttribute('data-direction', 'inbound');
    await expect.element(first.getByTestId('history-direction')).toHaveTextContent('Inbound');
    await expect.element(first.getByTestId('history-customer')).toHaveTextContent('João Pereira');
    await expect.element(first.getByTestId('history-customer')).toHaveTextContent('+5521998761122');
    await expect.element(first.getByTestId('history-status')).toHaveTextContent('Completed');
    await expect.element(first.getByTestId('history-duration')).toHaveTextContent('5:14');
    await expect
      .element(first.getByTestId('history-time'))
      .toHaveAttribute('datetime', new Date(nowMs - 12 * 60_000).toISOString());

    const missed = rows.nth(1);
    await expect.element(missed.getByTestId('history-customer')).toHaveTextContent('+447700900123');
    await expect.element(missed.getByTestId('history-status')).toHaveTextContent('Missed');
    await expect.element(missed.getByTestId('history-duration')).toHaveTextContent('—');

    const outbound = rows.nth(2);
    await expect.element(outbound).toHaveAttribute('data-direction', 'outbound');
    await expect.element(outbound.getByTestId('history-direction')).toHaveTextContent('Outbound');
  });

  test('the quality column grades how each talked call sounded and names its warnings', async () => {
    const history = demoHistory(Date.UTC(2026, 0, 5, 12));
    history[5].quality = {
      ...history[5].quality!,
      warnings: ['no_inbound_audio'],
    };
    const { screen } = await renderSignedIn({ history });
    const rows = screen.getByTestId('history-row');
    await expect.poll(() => rows.elements().length).toBe(history.length);

    const clean = rows.nth(0).getByTestId('history-quality');
    await expect.element(clean).toHaveTextContent('MOS 4.3');
    await expect.element(clean).toHaveClass('good');
    await expect.element(clean).toHaveAttribute('title', 'No quality warnings');
    // A missed call had no media: nothing measured, nothing made up.
    await expect.element(rows.nth(1).getByTestId('history-quality')).toHaveTextContent('—');
    const rough = rows.nth(2).getByTestId('history-quality');
    await expect.element(rough).toHaveTextContent('MOS 2.9');
    await expect.element(rough).toHaveClass('poor');
    await expect
      .element(rough)
      .toHaveAttribute('title', 'Audio breaking up (packet loss), Poor call quality');
    // The customer's audio never came: the alarm, whatever the MOS says.
    const silent = rows.nth(5).getByTestId('history-quality');
    await expect.element(silent).toHaveTextContent('No audio');
    await expect.element(silent).toHaveClass('poor');
  });

  test('a recorded call plays in the history at the chosen speed and downloads', async () => {
    const history = demoHistory(Date.UTC(2026, 0, 5, 12));
    const { screen } = await renderSignedIn({ history });
    const rows = screen.getByTestId('history-row');
    await expect.poll(() => rows.elements().length).toBe(history.length);
    // Only the recorded call offers its recording.
    expect(screen.getByTestId('recording-play').elements()).toHaveLength(1);

    await rows.nth(0).getByTestId('recording-play').click();
    const audio = screen.getByTestId('recording-audio');
    await expect.element(audio).toBeVisible();
    const element = audio.element() as HTMLAudioElement;
    expect(element.src).toMatch(/^blob:/);
    // The bytes decode: the browser knows the recording's length (2 s).
    await expect.poll(() => element.duration, { timeout: 5000 }).toBeCloseTo(2, 1);
    await screen.getByTestId('recording-speed').selectOptions('1.5');
    await expect.poll(() => element.playbackRate).toBe(1.5);
    element.currentTime = 1.25;
    await expect.poll(() => element.currentTime).toBeCloseTo(1.25, 1);
    const download = screen.getByTestId('recording-download');
    await expect.element(download).toHaveAttribute('download', 'call-wacid.demo-12.ogg');
    await expect.element(download).toHaveAttribute('href', element.src);
  });

  test('a recording the platform will not give says why', async () => {
    const history = demoHistory(Date.UTC(2026, 0, 5, 12));
    const { screen, platform } = await renderSignedIn({ history });
    platform.callRecording = async () => {
      throw { code: 'http_error', message: 'No recording visible to this agent.' };
    };
    await screen.getByTestId('recording-play').click();
    await expect.element(screen.getByTestId('recording-error')).toHaveTextContent('No recording visible');
    await expect.element(screen.getByTestId('recording-audio')).not.toBeInTheDocument();
  });

  test('the time column shows the offer time in the local format', async () => {
    const offeredMs = Date.UTC(2026, 0, 5, 9, 30);
    const history = demoHistory(offeredMs + 12 * 60_000).slice(0, 1);
    const { screen } = await renderSignedIn({ history });

    const time = screen.getByTestId('history-time');
    await expect.element(time).toHaveTextContent(
      new Date(offeredMs).toLocaleString(undefined, {
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
      }),
    );
  });

  test('a history the platform refuses shows the error instead of an empty list', async () => {
    const { screen, platform } = await renderSignedIn();
    platform.callHistory = async () => {
      throw { code: 'platform_unreachable', message: 'The platform did not answer.' };
    };
    await screen.getByTestId('history-filter').selectOptions('missed');

    await expect.element(screen.getByTestId('history-error')).toHaveTextContent('did not answer');
    await expect.element(screen.getByTestId('history-empty')).not.toBeInTheDocument();
  });

  test('the views split received, outbound and missed calls, and Export CSV saves exactly the view', async () => {
    const history = demoHistory(Date.UTC(2026, 0, 5, 12));
    const { screen, platform } = await renderSignedIn({ history });
    const rows = screen.getByTestId('history-row');
    await expect.poll(() => rows.elements().length).toBe(history.length);
    await expect.element(rows.first().getByTestId('history-channel')).toHaveTextContent('+15550102000');

    await screen.getByTestId('history-view-received').click();
    await expect.poll(() => rows.elements().length).toBe(4);
    expect(rows.elements().every((el) => el.dataset.direction === 'inbound')).toBe(true);
    await screen.getByTestId('history-view-outbound').click();
    await expect.poll(() => rows.elements().length).toBe(2);
    expect(rows.elements().every((el) => el.dataset.direction === 'outbound')).toBe(true);
    await screen.getByTestId('history-view-missed').click();
    await expect.poll(() => rows.elements().map((el) => el.dataset.status)).toEqual(['missed', 'rejected']);
    await expect.element(screen.getByTestId('history-view-missed')).toHaveAttribute('aria-selected', 'true');

    await screen.getByTestId('history-export').click();
    await expect.element(screen.getByTestId('history-exported')).toHaveTextContent('Saved to /home/agent/Downloads/');
    const csv = platform.exports.at(-1)!.trim().split('\r\n');
    expect(csv[0]).toMatch(/^id,direction,status,channel/);
    expect(csv.slice(1).map((line) => line.split(',')[2])).toEqual(['missed', 'rejected']);
  });

  test('an export the platform refuses says why', async () => {
    const { screen, platform } = await renderSignedIn({ history: demoHistory(Date.UTC(2026, 0, 5, 12)) });
    platform.exportHistory = async () => {
      throw { code: 'rate_limited', message: 'At most 2 CSV exports run at once; try again shortly.' };
    };
    await screen.getByTestId('history-export').click();
    await expect.element(screen.getByTestId('history-export-error')).toHaveTextContent('At most 2 CSV exports');
  });
});

