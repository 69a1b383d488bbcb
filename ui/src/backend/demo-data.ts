import type { CallQuality, CallRecord, CallStatus } from './types';

const MINUTE = 60_000;

interface Row {
  minutesAgo: number;
  status: CallStatus;
  name: string | null;
  number: string;
  talkedSecs?: number;
  direction?: CallRecord['direction'];
  quality?: Partial<CallQuality>;
  recorded?: boolean;
}

/**
 * A stand-in recording for the in-browser backend: `seconds` of 16-bit stereo WAV, the
 * customer's 440 Hz on the left and the agent's 1000 Hz on the right (the app's real files
 * are Ogg/Opus; the player treats both alike).
 */
export function demoRecording(seconds = 2): ArrayBuffer {
  const rate = 8000;
  const frames = rate * seconds;
  const buffer = new ArrayBuffer(44 + frames * 4);
  const view = new DataView(buffer);
  const text = (at: number, s: string) => [...s].forEach((c, i) => view.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  view.setUint32(4, 36 + frames * 4, true);
  text(8, 'WAVEfmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 2, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 4, true);
  view.setUint16(32, 4, true);
  view.setUint16(34, 16, true);
  text(36, 'data');
  view.setUint32(40, frames * 4, true);
  for (let i = 0; i < frames; i++) {
    view.setInt16(44 + i * 4, Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 6000), true);
    view.setInt16(46 + i * 4, Math.round(Math.sin((2 * Math.PI * 1000 * i) / rate) * 6000), true);
  }
  return buffer;
}

/** A clean call's figures, as the app reports them once its media ends. */
function measured(secs: number, overrides: Partial<CallQuality> = {}): CallQuality {
  return {
    measured_secs: secs,
    mos_avg: 4.32,
    mos_min: 4.1,
    loss_pct: 0.2,
    remote_loss_pct_max: 0.5,
    rtt_ms_avg: 84,
    jitter_ms_max: 9,
    warnings: [],
    ...overrides,
  };
}

/** A plausible call history for the in-browser demo, ending shortly before `nowMs`. */
export function demoHistory(nowMs: number): CallRecord[] {
  const rows: Row[] = [
    { minutesAgo: 12, status: 'completed', name: 'João Pereira', number: '5521998761122', talkedSecs: 314, recorded: true },
    { minutesAgo: 47, status: 'missed', name: null, number: '447700900123' },
    { minutesAgo: 95, status: 'completed', name: 'Aisha Bello', number: '2348035550142', talkedSecs: 128, direction: 'outbound', quality: { mos_avg: 2.9, mos_min: 2.2, loss_pct: 9.5, warnings: ['high_loss', 'poor_quality'] } },
    { minutesAgo: 180, status: 'rejected', name: 'Carlos Ruiz', number: '34612345678' },
    { minutesAgo: 400, status: 'failed', name: 'Lena Fischer', number: '4915123456789', direction: 'outbound' },
    { minutesAgo: 1440, status: 'completed', name: 'Maria Souza', number: '5511912345678', talkedSecs: 65 },
  ];
  return rows.map((row) => {
    const offered = nowMs - row.minutesAgo * MINUTE;
    const answered = row.talkedSecs === undefined ? null : offered + 8_000;
    const ended = (answered ?? offered) + (row.talkedSecs ?? 20) * 1000;
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      id: `wacid.demo-${row.minutesAgo}`,
      direction: row.direction ?? 'inbound',
      channel: 'whatsapp',
      business_number: '15550102000',
      customer: { number: row.number, profile_name: row.name },
      agents_rung: [],
      answered_by: answered === null ? null : 'demo-agent',
      status: row.status,
      ended_by: row.status === 'rejected' ? 'agent' : 'customer',
      offered_at: iso(offered),
      answered_at: answered === null ? null : iso(answered),
      ended_at: iso(ended),
      duration_secs: row.talkedSecs ?? 0,
      meta_error_code: row.status === 'failed' ? 131_000 : null,
      recording: row.recorded ? `wacid.demo-${row.minutesAgo}` : null,
      quality: row.talkedSecs === undefined ? null : measured(row.talkedSecs, row.quality),
    };
  });
}
