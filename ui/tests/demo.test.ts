import { afterEach, describe, expect, test } from 'vitest';
import { cleanup } from 'vitest-browser-svelte';
import { renderSignedIn } from './support';

afterEach(() => cleanup());

describe('demo action', () => {
  test('a demo build offers "Simulate customer call", which rings the agent', async () => {
    const { screen, app } = await renderSignedIn({ demo: true });
    const simulate = screen.getByTestId('simulate-call');
    await expect.element(simulate).toBeVisible();
    await expect.element(screen.getByTestId('incoming-popup')).not.toBeInTheDocument();

    await simulate.click();

    await expect.element(screen.getByTestId('incoming-popup')).toBeVisible();
    await expect.element(screen.getByTestId('caller-name')).toHaveTextContent('Maria Souza');
    expect(app.incoming).toHaveLength(1);
  });

  test('a build that is not a demo shows no such button', async () => {
    const { screen, app } = await renderSignedIn({ demo: false });
    await expect.element(screen.getByTestId('main-window')).toBeVisible();
    expect(app.appInfo?.demo).toBe(false);
    await expect.element(screen.getByTestId('simulate-call')).not.toBeInTheDocument();
  });

  test('a refused simulation shows the error', async () => {
    const { screen, platform } = await renderSignedIn({ demo: true });
    platform.simulateCustomerCall = async () => {
      throw { code: 'wa_sim_unreachable', message: 'The WhatsApp simulator did not answer.' };
    };

    await screen.getByTestId('simulate-call').click();

    await expect
      .element(screen.getByTestId('error-banner'))
      .toHaveAttribute('data-code', 'wa_sim_unreachable');
    await expect.element(screen.getByTestId('incoming-popup')).not.toBeInTheDocument();
  });

  test('the in-browser backend refuses simulated calls outside a demo with not_demo', async () => {
    const { platform } = await renderSignedIn({ demo: false });
    await expect(platform.simulateCustomerCall()).rejects.toMatchObject({ code: 'not_demo' });
  });

  test('in a demo the browser demo panel leaves the incoming call to the one main-window button', async () => {
    const demo = await renderSignedIn({ demo: true });
    await expect.element(demo.screen.getByTestId('simulate-call')).toBeVisible();
    await expect.element(demo.screen.getByTestId('demo-remote-hangup')).toBeInTheDocument();
    await expect.element(demo.screen.getByTestId('demo-offer')).not.toBeInTheDocument();
    cleanup();

    const plain = await renderSignedIn({ demo: false });
    await expect.element(plain.screen.getByTestId('demo-offer')).toBeVisible();
  });
});
