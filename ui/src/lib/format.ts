import type { CallRecord, CallStatus, RoutedBecause } from '../backend/types';

/** 0 → "0:00", 75 → "1:15", 3725 → "1:02:05". Negative input counts as zero. */
export function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const hours = Math.floor(s / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  const seconds = String(s % 60).padStart(2, '0');
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, '0')}:${seconds}`;
  return `${minutes}:${seconds}`;
}

export const STATUS_LABELS: Record<CallStatus, string> = {
  ringing: 'Ringing',
  on_call: 'On call',
  completed: 'Completed',
  rejected: 'Rejected',
  missed: 'Missed',
  outside_office_hours: 'Outside office hours',
  all_agents_busy: 'All agents busy',
  all_agents_offline: 'All agents offline',
  failed: 'Failed',
};

/** Every call status, in the order the filter lists them. */
export const CALL_STATUSES = Object.keys(STATUS_LABELS) as CallStatus[];

export const DIRECTION_LABELS: Record<CallRecord['direction'], string> = {
  inbound: 'Inbound (the customer called)',
  outbound: 'Outbound (an agent called)',
};

export const ROUTING_LABELS: Record<RoutedBecause, string> = {
  open_conversation: 'You are assigned to this conversation',
  contact_owner: 'You own this contact',
  round_robin: 'Next available agent (round robin)',
};

export function formatTimestamp(epochMs: number, locale?: string): string {
  return new Date(epochMs).toLocaleString(locale, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** WhatsApp numbers travel as bare digits ("15551234567"); people read them with a '+'. */
export function formatPhone(number: string): string {
  return number.startsWith('+') ? number : `+${number}`;
}

/**
 * A Tauri accelerator as people read it: "CommandOrControl+Shift+A" → "Ctrl+Shift+A"
 * ("⌘+Shift+A" on macOS, where CommandOrControl means the Command key).
 */
export function formatAccelerator(accelerator: string, mac = isMac()): string {
  const names: Record<string, string> = {
    commandorcontrol: mac ? '⌘' : 'Ctrl',
    cmdorctrl: mac ? '⌘' : 'Ctrl',
    command: '⌘',
    cmd: '⌘',
    super: mac ? '⌘' : 'Super',
    control: 'Ctrl',
    ctrl: 'Ctrl',
    option: mac ? '⌥' : 'Alt',
    alt: mac ? '⌥' : 'Alt',
    shift: 'Shift',
  };
  return accelerator
    .split('+')
    .map((key) => names[key.toLowerCase()] ?? key)
    .join('+');
}

function isMac(): boolean {
  return typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);
}

/**
 * The calendar date of `epochMs` in `timeZone` as YYYY-MM-DD, built from the date's parts
 * (WebKitGTK formats the `en-CA` locale as "12/4/2026", so a locale's format is no shortcut).
 */
export function localDate(epochMs: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(new Date(epochMs));
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}
