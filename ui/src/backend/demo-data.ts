import type { CallRecord } from './types';

const MINUTE = 60_000;

/** A plausible call history for the in-browser demo, ending shortly before `nowMs`. */
export function demoHistory(nowMs: number): CallRecord[] {
  const row = (
    minutesAgo: number,
    status: CallRecord['status'],
    customerName: string | null,
    customerNumber: string,
    durationSecs: number | null,
    direction: CallRecord['direction'] = 'inbound',
  ): CallRecord => ({
    callId: `hist-${minutesAgo}`,
    direction,
    status,
    customerName,
    customerNumber,
    businessNumber: '+1 555 010 2000',
    offeredAtMs: nowMs - minutesAgo * MINUTE,
    durationSecs,
  });
  return [
    row(12, 'completed', 'João Pereira', '+55 21 99876-1122', 314),
    row(47, 'missed', null, '+44 7700 900123', null),
    row(95, 'completed', 'Aisha Bello', '+234 803 555 0142', 128, 'outbound'),
    row(180, 'rejected', 'Carlos Ruiz', '+34 612 345 678', null),
    row(400, 'failed', 'Lena Fischer', '+49 151 2345 6789', null, 'outbound'),
    row(1440, 'completed', 'Maria Souza', '+55 11 91234-5678', 65),
  ];
}
