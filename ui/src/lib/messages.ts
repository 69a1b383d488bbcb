import type { ConversationMessage } from '../backend/types';

const REPLY_LABELS = {
  accept_temporary: 'Allowed calls for 7 days',
  accept_permanent: 'Allowed calls permanently',
  reject: 'Declined calls',
} as const;

/** One line for a conversation message, whatever its kind. */
export function messageText(body: ConversationMessage['body']): string {
  switch (body.kind) {
    case 'text':
      return body.text;
    case 'call_permission_request':
      return 'Call permission requested';
    case 'call_permission_reply':
      return REPLY_LABELS[body.reply];
    case 'call':
      return `Call (${body.status.replaceAll('_', ' ')})`;
    case 'other':
      return body.summary;
  }
}
