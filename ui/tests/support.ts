import { render } from 'vitest-browser-svelte';
import Root from '../src/Root.svelte';
import { InBrowserBackend, type InBrowserOptions } from '../src/backend/in-browser';
import { AppState } from '../src/lib/app-state.svelte';
import { ManualClock } from '../src/lib/clock';

/** The app in a page, signed in to the scripted platform, with a clock the test moves. */
export async function renderSignedIn(options: InBrowserOptions = {}) {
  const clock = new ManualClock();
  const platform = new InBrowserBackend({ clock, ...options });
  const app = new AppState(platform);
  await app.start();
  const screen = await render(Root, { props: { app, clock, view: 'main' } });
  const signedIn = await app.signIn({ platformUrl: 'https://platform.test', token: 'secret' });
  if (!signedIn) throw new Error(`sign-in failed: ${app.lastError?.message}`);
  return { screen, platform, app, clock };
}

/** The core's selected device per kind, as "kind:id", in list order. */
export async function selectedDevices(platform: InBrowserBackend): Promise<string[]> {
  const devices = await platform.listDevices();
  return devices.filter((d) => d.selected).map((d) => `${d.kind}:${d.id}`);
}
