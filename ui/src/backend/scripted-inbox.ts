// The in-browser backend's stand-in for the platform's conversations and call permissions:
// the same rules the platform applies (PRODUCT.md "Call permissions and limits"), in small,
// so the UI can be shown and tested without a platform. Refusals carry the platform's codes
// and reasons; nothing here is what the desktop app runs.
import type { ErrorCode } from './generated';
import type { BackendError, Conversation, PermissionState, Verdict } from './types';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How long a temporary permission lasts (Meta: 7 days). */
export const TEMPORARY_PERMISSION_MS = 7 * DAY;

const iso = (ms: number) => new Date(ms).toISOString();

export function refused(code: ErrorCode, message: string, retryAtMs: number | null = null): Verdict {
  return {
    verdict: 'refused',
    code,
    message,
    retry_at: retryAtMs === null ? null : iso(retryAtMs),
  };
}

const ALLOWED: Verdict = { verdict: 'allowed' };

/** What a conversation's last customer message and permission allow at `nowMs`. */
export interface PermissionFacts {
  status: PermissionState['status'];
  expiresAtMs?: number | null;
  /** When the last permission request was sent, if within the last 24 h. */
  lastRequestAtMs?: number | null;
  /** The customer's last message or call; the window is open for 24 h after it. */
  lastCustomerActivityMs: number | null;
}

/** The permission snapshot the platform would compute from these facts. */
export function permissionState(
  numbers: { business: string; customer: string },
  facts: PermissionFacts,
  nowMs: number,
): PermissionState {
  const windowClosesMs =
    facts.lastCustomerActivityMs === null ? null : facts.lastCustomerActivityMs + DAY;
  const windowOpen = windowClosesMs !== null && windowClosesMs > nowMs;
  const expiresAtMs = facts.expiresAtMs ?? null;
  const lapsed = facts.status === 'temporary' && expiresAtMs !== null && expiresAtMs <= nowMs;
  const status = lapsed ? 'no_permission' : facts.status;

  let call: Verdict = ALLOWED;
  if (status === 'no_permission') {
    call = lapsed
      ? refused(
          'no_call_permission',
          `the customer's temporary call permission expired at ${iso(expiresAtMs!)}; send a new permission request`,
        )
      : refused(
          'no_call_permission',
          'the customer has not given call permission; send a permission request',
        );
  }

  let request: Verdict = ALLOWED;
  let nextRequestMs: number | null = null;
  if (status === 'permanent') {
    request = refused(
      'permanent_permission_exists',
      'the customer has given permanent call permission; no request is needed or allowed',
    );
  } else if (!windowOpen) {
    request = refused(
      'customer_service_window_closed',
      "the customer service window is closed: a request is possible only within 24 h of the customer's last message or call",
    );
  } else if (facts.lastRequestAtMs != null && facts.lastRequestAtMs + DAY > nowMs) {
    nextRequestMs = facts.lastRequestAtMs + DAY;
    request = refused(
      'permission_request_limit_reached',
      `1 permission request(s) per 24 h is the maximum; the next is possible at ${iso(nextRequestMs)}`,
      nextRequestMs,
    );
  }

  return {
    business_number: numbers.business,
    customer_number: numbers.customer,
    status,
    expires_at: status === 'temporary' && expiresAtMs !== null ? iso(expiresAtMs) : null,
    call,
    request,
    next_request_at: nextRequestMs === null ? null : iso(nextRequestMs),
    service_window_closes_at: windowOpen ? iso(windowClosesMs!) : null,
    computed_at: iso(nowMs),
  };
}

/** Throws the verdict's refusal as the backend error a command rejects with. */
export function requireAllowed(verdict: Verdict): void {
  if (verdict.verdict === 'refused') {
    const error: BackendError = { code: verdict.code, message: sentence(verdict.message) };
    throw error;
  }
}

/** The platform's reasons are lower-case clauses; commands reject with sentences. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return trimmed;
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return capital.endsWith('.') ? capital : `${capital}.`;
}

/** A conversation for demos and tests: a customer who wrote `minutesAgo` ago. */
export function scriptedConversation(
  options: {
    id: string;
    name: string | null;
    number: string;
    business?: string;
    lastMessage?: string;
    minutesAgo?: number;
    permission?: Omit<PermissionFacts, 'lastCustomerActivityMs'>;
  },
  nowMs: number,
): Conversation {
  const business = options.business ?? '15550102000';
  const activityMs = nowMs - (options.minutesAgo ?? 5) * 60_000;
  return {
    id: options.id,
    business_number: business,
    customer: { number: options.number, profile_name: options.name },
    assigned_agent: 'demo-agent',
    last_customer_activity_at: iso(activityMs),
    recent_messages: [
      {
        direction: 'inbound',
        at: iso(activityMs),
        body: { kind: 'text', text: options.lastMessage ?? 'Hello, can you call me?' },
      },
    ],
    permission: permissionState(
      { business, customer: options.number },
      { status: 'no_permission', ...options.permission, lastCustomerActivityMs: activityMs },
      nowMs,
    ),
  };
}

/** The demo's inbox: one to ask for permission, one that may be called, one window closed. */
export function demoConversations(nowMs: number): Conversation[] {
  return [
    scriptedConversation(
      { id: 'conv-maria', name: 'Maria Souza', number: '5511912345678', minutesAgo: 3 },
      nowMs,
    ),
    scriptedConversation(
      {
        id: 'conv-aisha',
        name: 'Aisha Bello',
        number: '2348035550142',
        lastMessage: 'Yes, you can call me this afternoon.',
        minutesAgo: 40,
        permission: { status: 'temporary', expiresAtMs: nowMs + 6 * DAY },
      },
      nowMs,
    ),
    scriptedConversation(
      {
        id: 'conv-lena',
        name: 'Lena Fischer',
        number: '4915123456789',
        lastMessage: 'Thanks, that is all.',
        minutesAgo: 26 * 60,
      },
      nowMs,
    ),
  ];
}
