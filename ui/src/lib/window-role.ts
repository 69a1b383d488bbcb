/** Which of the app's windows this page is rendering. */
export type WindowRole = 'main' | 'popup';

/** The Tauri window label of the incoming-call popup (tauri.conf.json). */
export const POPUP_WINDOW_LABEL = 'popup';

/**
 * In the desktop app the Tauri window label decides; in a browser `?view=popup` does
 * (handy for looking at the popup alone).
 */
export function windowRole(tauriWindowLabel: string | null, search: string): WindowRole {
  if (tauriWindowLabel !== null) return tauriWindowLabel === POPUP_WINDOW_LABEL ? 'popup' : 'main';
  return new URLSearchParams(search).get('view') === 'popup' ? 'popup' : 'main';
}
