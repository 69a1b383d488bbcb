import { afterEach, describe, expect, test } from 'vitest';
import { cleanup, render } from 'vitest-browser-svelte';
import Root from '../src/Root.svelte';
import { InBrowserBackend } from '../src/backend/in-browser';
import { AppState } from '../src/lib/app-state.svelte';
import { ManualClock } from '../src/lib/clock';
import { renderSignedIn, selectedDevices } from './support';

afterEach(() => cleanup());

async function openSettings(options: Parameters<typeof renderSignedIn>[0] = {}) {
  const rendered = await renderSignedIn(options);
  await rendered.screen.getByTestId('tab-settings').click();
  await expect.element(rendered.screen.getByTestId('settings')).toBeVisible();
  return rendered;
}

describe('settings', () => {
  test('is a tab next to History, and History comes back', async () => {
    const { screen } = await renderSignedIn();
    await expect.element(screen.getByTestId('history-list')).toBeInTheDocument();
    await expect.element(screen.getByTestId('settings')).not.toBeInTheDocument();

    await screen.getByTestId('tab-settings').click();
    await expect.element(screen.getByTestId('settings')).toBeVisible();
    await expect.element(screen.getByTestId('tab-settings')).toHaveAttribute('aria-selected', 'true');
    await expect.element(screen.getByTestId('history-list')).not.toBeInTheDocument();

    await screen.getByTestId('tab-history').click();
    await expect.element(screen.getByTestId('history-list')).toBeInTheDocument();
    await expect.element(screen.getByTestId('settings')).not.toBeInTheDocument();
  });

  test('microphone, speaker and ring pickers list their own devices and show the selection', async () => {
    const { screen } = await openSettings();
    const options = (testid: string) =>
      [...(screen.getByTestId(testid).element() as HTMLSelectElement).options].map((o) => o.value);

    await expect.element(screen.getByTestId('settings-mic-select')).toHaveValue('mic-headset');
    await expect.element(screen.getByTestId('settings-speaker-select')).toHaveValue('spk-headset');
    await expect.element(screen.getByTestId('settings-ring-select')).toHaveValue('spk-laptop');
    expect(options('settings-mic-select')).toEqual(['mic-headset', 'mic-laptop']);
    expect(options('settings-speaker-select')).toEqual(['spk-headset', 'spk-laptop']);
    expect(options('settings-ring-select')).toEqual(['spk-headset', 'spk-laptop']);
  });

  test('each picker selects its kind in the core, the others stay', async () => {
    const { screen, platform } = await openSettings();

    await screen.getByTestId('settings-ring-select').selectOptions('spk-headset');
    await expect.element(screen.getByTestId('settings-ring-select')).toHaveValue('spk-headset');
    expect(await selectedDevices(platform)).toEqual([
      'input:mic-headset',
      'output:spk-headset',
      'ring:spk-headset',
    ]);

    await screen.getByTestId('settings-mic-select').selectOptions('mic-laptop');
    await screen.getByTestId('settings-speaker-select').selectOptions('spk-laptop');
    await expect.element(screen.getByTestId('settings-speaker-select')).toHaveValue('spk-laptop');
    expect(await selectedDevices(platform)).toEqual([
      'input:mic-laptop',
      'output:spk-laptop',
      'ring:spk-headset',
    ]);
  });

  test('opening settings lists the devices plugged in now', async () => {
    const { screen, platform } = await renderSignedIn();
    const devices = await platform.listDevices();
    const usb = { id: 'spk-usb', name: 'USB speaker', selected: false } as const;
    platform.setDevices([...devices, { ...usb, kind: 'ring' }], { announce: false });

    await screen.getByTestId('tab-settings').click();

    await expect.element(screen.getByTestId('settings-ring-select')).toHaveTextContent('USB speaker');
  });

  test('devices the core announces appear while settings is open', async () => {
    const { screen, platform } = await openSettings();
    const devices = await platform.listDevices();

    platform.setDevices([
      ...devices.filter((d) => d.id !== 'mic-laptop'),
      { id: 'mic-usb', name: 'USB microphone', kind: 'input', selected: false },
    ]);

    const mic = screen.getByTestId('settings-mic-select');
    await expect.element(mic).toHaveTextContent('USB microphone');
    await expect.element(mic).not.toHaveTextContent('Built-in microphone');
  });

  test('Test ringtone plays once on the selected ring device and says where', async () => {
    const { screen, platform } = await openSettings();

    await screen.getByTestId('test-ringtone').click();
    await expect.element(screen.getByTestId('ringtone-status')).toHaveTextContent('Built-in speakers');
    expect(platform.ringtonePlays).toEqual(['spk-laptop']);

    await screen.getByTestId('settings-ring-select').selectOptions('spk-headset');
    await screen.getByTestId('test-ringtone').click();
    await expect.element(screen.getByTestId('ringtone-status')).toHaveTextContent('Headset earpiece');
    expect(platform.ringtonePlays).toEqual(['spk-laptop', 'spk-headset']);
  });

  test('a failed ringtone test shows the error, not a success note', async () => {
    const { screen, platform } = await openSettings();
    platform.testRingtone = async () => {
      throw { code: 'audio_device_failed', message: 'The ring device could not be opened.' };
    };

    await screen.getByTestId('test-ringtone').click();

    await expect
      .element(screen.getByTestId('error-banner'))
      .toHaveAttribute('data-code', 'audio_device_failed');
    await expect.element(screen.getByTestId('ringtone-status')).not.toBeInTheDocument();
  });

  test('the microphone test meter follows the core readings until stopped', async () => {
    const { screen, platform, clock } = await openSettings();
    const toggle = screen.getByTestId('mic-test-toggle');
    const meter = screen.getByTestId('mic-test-level');
    await expect.element(meter).toHaveAttribute('aria-valuenow', '0');
    await expect.element(toggle).toHaveAttribute('aria-pressed', 'false');

    await toggle.click();
    await expect.element(toggle).toHaveAttribute('aria-pressed', 'true');
    expect(platform.micTestRunning).toBe(true);

    platform.emitMicTestLevel(0.37);
    await expect.element(meter).toHaveAttribute('aria-valuenow', '37');
    platform.emitMicTestLevel(0.81);
    await expect.element(meter).toHaveAttribute('aria-valuenow', '81');

    // The scripted core's own readings, every 50 ms, keep moving the meter.
    clock.advance(50);
    const first = meter.element().getAttribute('aria-valuenow');
    clock.advance(250);
    await expect.element(meter).not.toHaveAttribute('aria-valuenow', first!);

    await toggle.click();
    await expect.element(toggle).toHaveAttribute('aria-pressed', 'false');
    await expect.element(meter).toHaveAttribute('aria-valuenow', '0');
    expect(platform.micTestRunning).toBe(false);
  });

  test('leaving settings stops the microphone test', async () => {
    const { screen, platform } = await openSettings();
    await screen.getByTestId('mic-test-toggle').click();
    await expect.poll(() => platform.micTestRunning).toBe(true);

    await screen.getByTestId('tab-history').click();

    await expect.poll(() => platform.micTestRunning).toBe(false);
  });

  test('a call stops the microphone test and disables it until the call ends', async () => {
    const { screen, platform } = await openSettings();
    const toggle = screen.getByTestId('mic-test-toggle');
    await toggle.click();
    await expect.poll(() => platform.micTestRunning).toBe(true);

    platform.offerCall();
    await screen.getByTestId('accept-call').click();

    await expect.poll(() => platform.micTestRunning).toBe(false);
    await expect.element(toggle).toBeDisabled();
    await screen.getByTestId('hang-up').click();
    await expect.element(toggle).toBeEnabled();
  });

  test('shows the global shortcuts read-only, and the version', async () => {
    const { screen } = await openSettings({
      version: '1.4.2',
      shortcuts: { answer: 'CommandOrControl+Shift+A', hangUp: 'Alt+F4', toggleMute: 'Control+M' },
    });

    await expect.element(screen.getByTestId('shortcut-answer')).toHaveTextContent('Ctrl+Shift+A');
    await expect.element(screen.getByTestId('shortcut-hang-up')).toHaveTextContent('Alt+F4');
    await expect.element(screen.getByTestId('shortcut-toggle-mute')).toHaveTextContent('Ctrl+M');
    await expect.element(screen.getByTestId('app-version')).toHaveTextContent('Ringdesk 1.4.2');
    await expect.element(screen.getByTestId('demo-tag')).not.toBeInTheDocument();
    const inputs = screen.getByTestId('settings').element().querySelectorAll('input');
    expect(inputs).toHaveLength(0);
  });

  test('a core that cannot tell its app info still signs in; settings says the version is unknown', async () => {
    const clock = new ManualClock();
    const platform = new InBrowserBackend({ clock, demo: true });
    platform.appInfo = async () => {
      throw { code: 'engine_unavailable', message: 'The call engine is not available.' };
    };
    const app = new AppState(platform);
    await app.start();
    const screen = await render(Root, { props: { app, clock, view: 'main' } });
    await expect.element(screen.getByTestId('sign-in-error')).not.toBeInTheDocument();

    await screen.getByTestId('sign-in-url').fill('https://platform.test');
    await screen.getByTestId('sign-in-token').fill('t');
    await screen.getByTestId('sign-in-submit').click();
    await screen.getByTestId('tab-settings').click();

    await expect.element(screen.getByTestId('app-version')).toHaveTextContent('version unknown');
    await expect.element(screen.getByTestId('simulate-call')).not.toBeInTheDocument();
    await expect.element(screen.getByTestId('error-banner')).not.toBeInTheDocument();
  });
});
