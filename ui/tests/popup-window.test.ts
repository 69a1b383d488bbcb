import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, render } from 'vitest-browser-svelte';
import Root from '../src/Root.svelte';
import { InBrowserBackend } from '../src/backend/in-browser';
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
});
