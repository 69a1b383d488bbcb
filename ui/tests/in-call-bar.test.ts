import { afterEach, describe, expect, test } from 'vitest';
import { cleanup } from 'vitest-browser-svelte';
import { renderSignedIn, selectedDevices } from './support';

afterEach(() => cleanup());

async function answeredCall(options: Parameters<typeof renderSignedIn>[0] = {}) {
  const rendered = await renderSignedIn(options);
  rendered.platform.offerCall({ customerName: 'Ana Lima' });
  await rendered.screen.getByTestId('accept-call').click();
  await expect.element(rendered.screen.getByTestId('in-call-bar')).toBeVisible();
  return rendered;
}

describe('in-call bar', () => {
  test('the duration timer advances with the clock', async () => {
    const { screen, clock } = await answeredCall();
    const duration = screen.getByTestId('call-duration');
    await expect.element(duration).toHaveTextContent('0:00');

    clock.advance(1_000);
    await expect.element(duration).toHaveTextContent('0:01');

    clock.advance(64_000);
    await expect.element(duration).toHaveTextContent('1:05');

    clock.advance(3_600_000);
    await expect.element(duration).toHaveTextContent('1:01:05');
  });

  test('shows who is on the line and which business number they called', async () => {
    const { screen } = await answeredCall();
    await expect.element(screen.getByTestId('in-call-name')).toHaveTextContent('Ana Lima');
    await expect.element(screen.getByTestId('in-call-number')).toHaveTextContent('+5511912345678');
    await expect.element(screen.getByTestId('in-call-business-number')).toHaveTextContent('+15550102000');
  });

  test('mute toggles on and off through the backend', async () => {
    const { screen, app } = await answeredCall();
    const mute = screen.getByTestId('mute-toggle');
    await expect.element(mute).toHaveAttribute('aria-pressed', 'false');

    await mute.click();
    await expect.element(mute).toHaveAttribute('aria-pressed', 'true');
    await expect.element(mute).toHaveTextContent('Unmute');
    await expect.element(screen.getByTestId('muted-indicator')).toBeVisible();
    expect(app.active?.muted).toBe(true);

    await mute.click();
    await expect.element(mute).toHaveAttribute('aria-pressed', 'false');
    await expect.element(screen.getByTestId('muted-indicator')).not.toBeInTheDocument();
    expect(app.active?.muted).toBe(false);
  });

  test('the microphone meter drops to zero while muted; the speaker meter keeps moving', async () => {
    const { screen, clock } = await answeredCall({ simulateLevels: true });
    clock.advance(100);
    await expect.element(screen.getByTestId('level-input')).not.toHaveAttribute('aria-valuenow', '0');

    await screen.getByTestId('mute-toggle').click();
    clock.advance(100);

    await expect.element(screen.getByTestId('level-input')).toHaveAttribute('aria-valuenow', '0');
    await expect.element(screen.getByTestId('level-output')).not.toHaveAttribute('aria-valuenow', '0');
  });

  test('quality warnings show only while they hold; no audio from the customer is an alarm', async () => {
    const { screen, platform } = await answeredCall();
    await expect.element(screen.getByTestId('quality-warnings')).not.toBeInTheDocument();

    platform.setQualityWarnings(['no_inbound_audio']);
    const alarm = screen.getByTestId('quality-warning');
    await expect.element(alarm).toHaveTextContent('No audio from the customer');
    await expect.element(alarm).toHaveAttribute('data-warning', 'no_inbound_audio');

    platform.setQualityWarnings(['high_loss', 'high_jitter']);
    await expect.element(screen.getByText('Audio breaking up (packet loss)')).toBeVisible();
    await expect.element(screen.getByText('Unsteady connection (jitter)')).toBeVisible();
    await expect.element(screen.getByText('No audio from the customer')).not.toBeInTheDocument();

    platform.setQualityWarnings([]);
    await expect.element(screen.getByTestId('quality-warnings')).not.toBeInTheDocument();
  });

  test('meters show the levels the core reports', async () => {
    const { screen, platform } = await answeredCall();
    platform.setLevels({ input: 0.42, output: 0.9 });
    await expect.element(screen.getByTestId('level-input')).toHaveAttribute('aria-valuenow', '42');
    await expect.element(screen.getByTestId('level-output')).toHaveAttribute('aria-valuenow', '90');
  });

  test('switching the microphone mid-call selects it in the core', async () => {
    const { screen, platform } = await answeredCall();
    const mic = screen.getByTestId('mic-select');
    await expect.element(mic).toHaveValue('mic-headset');

    await mic.selectOptions('mic-laptop');

    await expect.element(mic).toHaveValue('mic-laptop');
    expect(await selectedDevices(platform)).toEqual([
      'input:mic-laptop',
      'output:spk-headset',
      'ring:spk-laptop',
    ]);
    await expect.element(screen.getByTestId('in-call-bar')).toBeVisible();
  });

  test('switching the speaker mid-call selects it in the core and keeps the call', async () => {
    const { screen, platform, app } = await answeredCall();
    const speaker = screen.getByTestId('speaker-select');
    await expect.element(speaker).toHaveValue('spk-headset');

    await speaker.selectOptions('spk-laptop');

    await expect.element(speaker).toHaveValue('spk-laptop');
    expect(await selectedDevices(platform)).toEqual([
      'input:mic-headset',
      'output:spk-laptop',
      'ring:spk-laptop',
    ]);
    expect(app.active).not.toBeNull();
  });

  test('a device the core refuses shows the error and the picker keeps the old one', async () => {
    const { screen, platform } = await answeredCall();
    platform.selectDevice = async () => {
      throw { code: 'no_such_device', message: 'That device is not connected.' };
    };

    await screen.getByTestId('mic-select').selectOptions('mic-laptop');

    await expect.element(screen.getByTestId('error-banner')).toHaveAttribute('data-code', 'no_such_device');
    await expect.element(screen.getByTestId('mic-select')).toHaveValue('mic-headset');
    expect(await selectedDevices(platform)).toContain('input:mic-headset');
  });

  test('hang up ends the call, restores presence and adds a completed record', async () => {
    const { screen, clock } = await answeredCall();
    clock.advance(42_000);

    await screen.getByTestId('hang-up').click();

    await expect.element(screen.getByTestId('in-call-bar')).not.toBeInTheDocument();
    await expect.element(screen.getByTestId('presence-select')).toHaveValue('available');
    const row = screen.getByTestId('history-row');
    await expect.element(row).toHaveAttribute('data-status', 'completed');
    await expect.element(row.getByTestId('history-duration')).toHaveTextContent('0:42');
  });

  test('the bar closes when the customer hangs up', async () => {
    const { screen, platform } = await answeredCall();
    platform.remoteHangUp();
    await expect.element(screen.getByTestId('in-call-bar')).not.toBeInTheDocument();
  });
});
