import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, render } from 'vitest-browser-svelte';
import Root from '../src/Root.svelte';
import { InBrowserBackend } from '../src/backend/in-browser';
import { historyQuery } from '../src/backend/types';
import { AppState } from '../src/lib/app-state.svelte';
import { ManualClock } from '../src/lib/clock';

afterEach(() => cleanup());

// The desktop app's separate popup window: the same bundle, rendered with view 'popup'.
describe('popup window view', () => {
  async function renderPopupWindow() {
    const clock = new ManualClock();
    const platform = new InBrowserBackend({ clock });
    await platform.signIn({ platformUrl: 'https://platform.test', token: 't' });
    const app = new AppState(platform);
    await app.start({ loadDevices: false });
    const screen = await render(Root, { props: { app, clock, view: 'popup' } });
    return { screen, platform, app };
  }

  test('shows only the ringing call, never the main window or the demo panel', async () => {
    const { screen, platform } = await renderPopupWindow();
    await expect.element(screen.getByTestId('incoming-popup')).not.toBeInTheDocument();

    platform.offerCall({ customerName: 'Ana Lima' });

    await expect.element(screen.getByTestId('caller-name')).toHaveTextContent('Ana Lima');
    await expect.element(screen.getByTestId('main-window')).not.toBeInTheDocument();
    await expect.element(screen.getByTestId('sign-in')).not.toBeInTheDocument();
    await expect.element(screen.getByTestId('demo-offer')).not.toBeInTheDocument();
  });

  test('Accept in the popup window answers the call and empties the window', async () => {
    const { screen, platform, app } = await renderPopupWindow();
    const offer = platform.offerCall();

    await screen.getByTestId('accept-call').click();

    await expect.element(screen.getByTestId('incoming-popup')).not.toBeInTheDocument();
    expect(app.active?.callId).toBe(offer.callId);
    expect(app.devices).toEqual([]);
  });

  test('the popup window empties when the call is answered elsewhere, cancelled or times out', async () => {
    const { screen, platform } = await renderPopupWindow();
    for (const reason of ['answered_elsewhere', 'caller_hung_up', 'timed_out'] as const) {
      const offer = platform.offerCall({ customerName: `Caller ${reason}` });
      await expect.element(screen.getByTestId('caller-name')).toHaveTextContent(`Caller ${reason}`);

      platform.cancelCall(offer.callId, reason);

      await expect.element(screen.getByTestId('incoming-popup')).not.toBeInTheDocument();
    }
  });

  test('Reject in the popup window declines the call', async () => {
    const { screen, platform, app } = await renderPopupWindow();
    platform.offerCall();

    await screen.getByTestId('reject-call').click();

    await expect.element(screen.getByTestId('incoming-popup')).not.toBeInTheDocument();
    expect(app.active).toBeNull();
    const [record] = await platform.callHistory(historyQuery({ status: 'rejected' }));
    expect(record?.status).toBe('rejected');
  });
});
