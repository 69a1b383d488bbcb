import type { Backend } from './backend';
import { InBrowserBackend } from './in-browser';
import { TauriBackend } from './tauri';
import { demoHistory } from './demo-data';
import { demoConversations } from './scripted-inbox';

export type { Backend, Unsubscribe } from './backend';
export * from './types';
export { InBrowserBackend } from './in-browser';
export { TauriBackend } from './tauri';

/** True inside the Tauri webview, which injects `__TAURI_INTERNALS__` before any script runs. */
export function runningInTauri(scope: object = globalThis): boolean {
  return '__TAURI_INTERNALS__' in scope;
}

/**
 * The backend for this page: Tauri in the desktop app, the scripted fake platform elsewhere.
 * The in-browser page is always a demo, so it offers "Simulate customer call" like `cargo xtask run`.
 */
export function pickBackend(scope: object = globalThis): Backend {
  if (runningInTauri(scope)) return new TauriBackend();
  return new InBrowserBackend({
    simulateLevels: true,
    demo: true,
    history: demoHistory(Date.now()),
    conversations: demoConversations(Date.now()),
    customersActAlone: true,
  });
}
