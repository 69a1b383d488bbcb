import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, render } from 'vitest-browser-svelte';
import Root from '../src/Root.svelte';
import { InBrowserBackend } from '../src/backend/in-browser';
import { AppState } from '../src/lib/app-state.svelte';
import { ManualClock } from '../src/lib/clock';

afterEach(() => cleanup());

async function renderSignedOut() {
  const clock = new ManualClock();
  const platform = new InBrowserBackend({ clock, validToken: 'agent-token', agentName: 'Ana Agent' });
  const app = new AppState(platform);
  await app.start();
  const screen = await render(Root, { props: { app, clock, view: 'main' } });
  return { screen, platform, app };
}

describe('sign-in', () => {
  test('a valid URL and token open the main window, connected and available', async () => {
    const { screen } = await renderSignedOut();

    await screen.getByTestId('sign-in-url').fill('https://platform.test');
    await screen.getByTestId('sign-in-token').fill('agent-token');
    await screen.getByTestId('sign-in-submit').click();

    await expect.element(screen.getByTestId('main-window')).toBeVisible();
    await expect.element(screen.getByTestId('agent-name')).toHaveTextContent('Ana Agent');
    await expect.element(screen.getByTestId('connection-state')).toHaveAttribute('data-state', 'connected');
    await expect.element(screen.getByTestId('presence-select')).toHaveValue('available');
  });

  test('a refused token shows why and stays on the sign-in form', async () => {
    const { screen } = await renderSignedOut();

    await screen.getByTestId('sign-in-url').fill('https://platform.test');
    await screen.getByTestId('sign-in-token').fill('wrong');
    await screen.getByTestId('sign-in-submit').click();

    await expect.element(screen.getByTestId('sign-in-error')).toHaveTextContent('did not accept');
    await expect.element(screen.getByTestId('main-window')).not.toBeInTheDocument();
  });

  test('presence changes go to the core, and sign-out returns to the form', async () => {
    const { screen, platform } = await renderSignedOut();
    await screen.getByTestId('sign-in-url').fill('https://platform.test');
    await screen.getByTestId('sign-in-token').fill('agent-token');
    await screen.getByTestId('sign-in-submit').click();

    await screen.getByTestId('presence-select').selectOptions('away');
    await expect.poll(async () => (await platform.currentSession())?.presence).toBe('away');

    await screen.getByTestId('sign-out').click();
    await expect.element(screen.getByTestId('sign-in')).toBeVisible();
    await expect.element(screen.getByTestId('connection-state')).not.toBeInTheDocument();
    expect(await platform.currentSession()).toBeNull();
  });

  test('plain http to another machine is refused with why, unless explicitly allowed', async () => {
    const { screen } = await renderSignedOut();
    await screen.getByTestId('sign-in-url').fill('http://10.1.2.3:8080');
    await screen.getByTestId('sign-in-token').fill('agent-token');
    await screen.getByTestId('sign-in-submit').click();
    await expect.element(screen.getByTestId('sign-in-error')).toHaveTextContent('unencrypted');
    await expect.element(screen.getByTestId('main-window')).not.toBeInTheDocument();

    await screen.getByText('Connection options').click();
    await expect.element(screen.getByTestId('insecure-warning')).not.toBeInTheDocument();
    await screen.getByTestId('sign-in-insecure').click();
    await expect.element(screen.getByTestId('insecure-warning')).toHaveTextContent('unencrypted');
    await screen.getByTestId('sign-in-submit').click();
    await expect.element(screen.getByTestId('main-window')).toBeVisible();
  });

  test('plain http to this machine needs no switch (the demo)', async () => {
    const { screen } = await renderSignedOut();
    await screen.getByTestId('sign-in-url').fill('http://127.0.0.1:8080');
    await screen.getByTestId('sign-in-token').fill('agent-token');
    await screen.getByTestId('sign-in-submit').click();
    await expect.element(screen.getByTestId('main-window')).toBeVisible();
  });

  test('the connection badge follows the core', async () => {
    const { screen, platform, app } = await renderSignedOut();
    await app.signIn({ platformUrl: 'https://platform.test', token: 'agent-token' });

    platform.setConnection('reconnecting');
    await expect.element(screen.getByTestId('connection-state')).toHaveTextContent('Reconnecting');
    platform.setConnection('connected');
    await expect.element(screen.getByTestId('connection-state')).toHaveTextContent('Connected');
  });
});

test('a presence the core refuses is not shown, and the refusal is', async () => {
  const clock = new ManualClock();
  const platform = new InBrowserBackend({ clock });
  platform.setPresence = async () => {
    throw { code: 'not_signed_in', message: 'Sign in first.' };
  };
  const app = new AppState(platform);
  await app.start();
  await app.signIn({ platformUrl: 'https://platform.test', token: 't' });
  const screen = await render(Root, { props: { app, clock, view: 'main' } });

  await screen.getByTestId('presence-select').selectOptions('away');

  await expect.element(screen.getByTestId('error-banner')).toHaveAttribute('data-code', 'not_signed_in');
  await expect.element(screen.getByTestId('presence-select')).toHaveValue('available');
});
