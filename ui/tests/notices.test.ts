import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, render } from 'vitest-browser-svelte';
import Root from '../src/Root.svelte';
import { InBrowserBackend } from '../src/backend/in-browser';
import { AppState } from '../src/lib/app-state.svelte';
import { ManualClock } from '../src/lib/clock';
import { renderSignedIn } from './support';

afterEach(() => cleanup());

describe('notices', () => {
  test('a notice from the core is shown until dismissed', async () => {
    const { screen, platform } = await renderSignedIn();
    await expect.element(screen.getByTestId('notice-banner')).not.toBeInTheDocument();

    platform.notify({ code: 'device_unplugged', message: 'The headset was unplugged; using the built-in microphone.' });

    const banner = screen.getByTestId('notice-banner');
    await expect.element(banner).toHaveAttribute('data-code', 'device_unplugged');
    await expect.element(banner).toHaveTextContent('headset was unplugged');

    await screen.getByTestId('notice-banner-dismiss').click();
    await expect.element(banner).not.toBeInTheDocument();
  });

  test('recordings waiting for upload are counted in the header until none is left', async () => {
    const { screen, platform } = await renderSignedIn();
    const pending = screen.getByTestId('recordings-pending');
    await expect.element(pending).not.toBeInTheDocument();

    platform.setRecordingsPending(2);
    await expect.element(pending).toHaveTextContent('2 recordings waiting to upload');
    platform.setRecordingsPending(1);
    await expect.element(pending).toHaveTextContent('1 recording waiting to upload');
    platform.setRecordingsPending(0);
    await expect.element(pending).not.toBeInTheDocument();
  });

  test('several notices stack; a repeated code replaces its older copy', async () => {
    const { screen, platform } = await renderSignedIn();

    platform.notify({ code: 'media_failed', message: 'Media failed once.' });
    platform.notify({ code: 'device_unplugged', message: 'Headset unplugged.' });
    platform.notify({ code: 'media_failed', message: 'Media failed again.' });

    const banners = screen.getByTestId('notice-banner');
    await expect.poll(() => banners.elements().length).toBe(2);
    expect(banners.elements().map((b) => b.textContent?.trim())).toEqual([
      expect.stringContaining('Headset unplugged.'),
      expect.stringContaining('Media failed again.'),
    ]);

    await banners.nth(0).getByTestId('notice-banner-dismiss').click();
    await expect.poll(() => banners.elements().length).toBe(1);
    await expect.element(banners).toHaveAttribute('data-code', 'media_failed');
  });

  test('a notice before sign-in shows on the sign-in form', async () => {
    const clock = new ManualClock();
    const platform = new InBrowserBackend({ clock });
    const app = new AppState(platform);
    await app.start();
    const screen = await render(Root, { props: { app, clock, view: 'main' } });

    platform.notify({ code: 'keyring_unavailable', message: 'The system keyring is locked.' });

    await expect.element(screen.getByTestId('sign-in').getByTestId('notice-banner')).toHaveTextContent('keyring is locked');
  });
});

describe('token storage', () => {
  test('the sign-in form says the token goes only to the system keyring', async () => {
    const clock = new ManualClock();
    const app = new AppState(new InBrowserBackend({ clock }));
    await app.start();
    const screen = await render(Root, { props: { app, clock, view: 'main' } });

    await expect.element(screen.getByTestId('token-storage')).toHaveTextContent('only in your system keyring');
  });

  test('a token the keyring refused: the main window says to sign in again after quitting', async () => {
    const { screen, app } = await renderSignedIn({ keyringAvailable: false });

    expect(app.session?.tokenRemembered).toBe(false);
    const note = screen.getByTestId('token-not-remembered');
    await expect.element(note).toHaveTextContent('could not be saved in the system keyring');
    await expect.element(note).toHaveTextContent('sign in again');
  });

  test('the demo signs in without the keyring on purpose: no note', async () => {
    const { screen, app } = await renderSignedIn({ keyringAvailable: false, demo: true });

    expect(app.session?.tokenRemembered).toBe(false);
    await expect.element(screen.getByTestId('simulate-call')).toBeVisible();
    await expect.element(screen.getByTestId('token-not-remembered')).not.toBeInTheDocument();
  });

  test('a remembered token shows no such note', async () => {
    const { screen, app } = await renderSignedIn();

    expect(app.session?.tokenRemembered).toBe(true);
    await expect.element(screen.getByTestId('main-window')).toBeVisible();
    await expect.element(screen.getByTestId('token-not-remembered')).not.toBeInTheDocument();
  });
});
