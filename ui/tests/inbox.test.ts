import { afterEach, describe, expect, test } from 'vitest';
import { cleanup } from 'vitest-browser-svelte';
import { ManualClock } from '../src/lib/clock';
import { scriptedConversation } from '../src/backend/scripted-inbox';
import { renderSignedIn } from './support';

afterEach(() => cleanup());

const START = new ManualClock().now();
const HOUR = 3_600_000;

/** Maria wrote 5 minutes ago; no call permission yet. */
function maria() {
  return scriptedConversation(
    { id: 'conv-maria', name: 'Maria Souza', number: '5511912345678', lastMessage: 'Can you call me?' },
    START,
  );
}

async function openInbox(options: Parameters<typeof renderSignedIn>[0] = {}) {
  const rendered = await renderSignedIn({ conversations: [maria()], ...options });
  await rendered.screen.getByTestId('tab-inbox').click();
  await expect.element(rendered.screen.getByTestId('conversation')).toBeVisible();
  return rendered;
}

describe('inbox', () => {
  test('lists the conversation with the customer, the last message and the permission state', async () => {
    const { screen } = await openInbox();
    const row = screen.getByTestId('conversation-row');
    await expect.element(row).toHaveTextContent('Maria Souza');
    await expect.element(row).toHaveTextContent('+5511912345678');
    await expect.element(screen.getByTestId('conversation-last')).toHaveTextContent('Can you call me?');
    await expect.element(screen.getByTestId('permission-summary')).toHaveTextContent('No call permission');
    await expect.element(screen.getByTestId('permission-window')).toHaveTextContent('open until');
  });

  test('Call is disabled with the reason until the customer grants permission, then enabled', async () => {
    const { screen, platform } = await openInbox();
    const call = screen.getByTestId('call-button');
    await expect.element(call).toBeDisabled();
    await expect.element(screen.getByTestId('call-reason')).toHaveTextContent('has not given call permission');

    await screen.getByTestId('request-permission-button').click();
    // The request is in the thread and a second one is refused with its reason.
    await expect.element(screen.getByTestId('message').last()).toHaveAttribute('data-kind', 'call_permission_request');
    await expect.element(screen.getByTestId('request-permission-button')).toBeDisabled();
    await expect.element(screen.getByTestId('request-reason')).toHaveTextContent('per 24 h is the maximum');
    await expect.element(screen.getByTestId('permission-next-request')).toHaveTextContent('Next request possible on');

    platform.customerReplies('conv-maria', 'accept_temporary');
    await expect.element(call).toBeEnabled();
    await expect.element(screen.getByTestId('call-reason')).not.toBeInTheDocument();
    await expect.element(screen.getByTestId('permission-summary')).toHaveTextContent('Temporary call permission until');
  });

  test('a temporary permission that expires disables Call without any event', async () => {
    const granted = scriptedConversation(
      {
        id: 'conv-maria',
        name: 'Maria Souza',
        number: '5511912345678',
        permission: { status: 'temporary', expiresAtMs: START + 2_000 },
      },
      START,
    );
    const { screen, clock } = await openInbox({ conversations: [granted] });
    await expect.element(screen.getByTestId('call-button')).toBeEnabled();
    clock.advance(2_000);
    await expect.element(screen.getByTestId('call-button')).toBeDisabled();
    await expect.element(screen.getByTestId('call-reason')).toHaveTextContent('expired');
  });

  test('with the window closed, Request permission says why', async () => {
    const quiet = scriptedConversation(
      { id: 'conv-lena', name: 'Lena Fischer', number: '4915123456789', minutesAgo: 25 * 60 },
      START,
    );
    const { screen } = await openInbox({ conversations: [quiet] });
    await expect.element(screen.getByTestId('request-permission-button')).toBeDisabled();
    await expect.element(screen.getByTestId('request-reason')).toHaveTextContent('customer service window is closed');
  });

  test('a reply is sent and shows in the thread; a new customer message arrives live', async () => {
    const { screen, platform } = await openInbox();
    await screen.getByTestId('reply-text').fill('Sure, calling you in a minute.');
    await screen.getByTestId('reply-send').click();
    const last = screen.getByTestId('message').last();
    await expect.element(last).toHaveTextContent('Sure, calling you in a minute.');
    await expect.element(last).toHaveAttribute('data-direction', 'outbound');
    await expect.element(screen.getByTestId('reply-text')).toHaveValue('');

    platform.customerWrites('conv-maria', 'Great, thanks!');
    await expect.element(screen.getByTestId('message').last()).toHaveTextContent('Great, thanks!');
  });

  test('a customer message arrives unread until its conversation is on screen', async () => {
    const lena = scriptedConversation(
      { id: 'conv-lena', name: 'Lena Fischer', number: '4915123456789', minutesAgo: 60 },
      START,
    );
    const { screen, platform } = await renderSignedIn({ conversations: [maria(), lena] });
    // Not looked at yet: both unread.
    await expect.element(screen.getByTestId('inbox-unread-count')).toHaveTextContent('2');

    await screen.getByTestId('tab-inbox').click();
    // Maria (newest) is on screen, so read; Lena is still unread.
    const lenaRow = screen.getByTestId('conversation-row').filter({ hasText: 'Lena Fischer' });
    const mariaRow = screen.getByTestId('conversation-row').filter({ hasText: 'Maria Souza' });
    await expect.element(lenaRow.getByTestId('conversation-unread')).toBeVisible();
    await expect.element(mariaRow.getByTestId('conversation-unread')).not.toBeInTheDocument();
    await expect.element(screen.getByTestId('inbox-unread-count')).toHaveTextContent('1');

    await lenaRow.click();
    await expect.element(screen.getByTestId('inbox-unread-count')).not.toBeInTheDocument();

    // Maria writes while Lena is on screen: Maria's conversation is unread again.
    platform.customerWrites('conv-maria', 'Are you there?');
    await expect.element(mariaRow.getByTestId('conversation-unread')).toBeVisible();
  });

  test('after a reconnect the inbox is listed again (changes pushed meanwhile were lost)', async () => {
    const { screen, platform } = await openInbox();
    platform.setConnection('reconnecting');
    // Maria writes while the app is disconnected: the push is lost...
    platform.whileDisconnected(() => platform.customerWrites('conv-maria', 'Hello? Anyone?'));
    await expect.element(screen.getByTestId('message').last()).not.toHaveTextContent('Hello? Anyone?');
    // ...and the list after reconnecting has it.
    platform.setConnection('connected');
    await expect.element(screen.getByTestId('message').last()).toHaveTextContent('Hello? Anyone?');
  });

  test('a reply outside the window is refused with the reason and kept in the box', async () => {
    const { screen, clock } = await openInbox();
    clock.advance(24 * HOUR);
    await screen.getByTestId('reply-text').fill('Hello?');
    await screen.getByTestId('reply-send').click();
    await expect.element(screen.getByTestId('error-banner')).toHaveAttribute('data-code', 'customer_service_window_closed');
    await expect.element(screen.getByTestId('reply-text')).toHaveValue('Hello?');
  });
});

describe('a call the agent places', () => {
  async function granted() {
    const rendered = await openInbox();
    rendered.platform.customerReplies('conv-maria', 'accept_temporary');
    await expect.element(rendered.screen.getByTestId('call-button')).toBeEnabled();
    await rendered.screen.getByTestId('call-button').click();
    const bar = rendered.screen.getByTestId('in-call-bar');
    await expect.element(bar).toHaveAttribute('data-phase', 'calling');
    return { ...rendered, callId: rendered.app.active!.callId };
  }

  test('goes calling → ringing → connected, with the timer from the pickup, then into history as outbound', async () => {
    const { screen, platform, clock, callId, app } = await granted();
    const bar = screen.getByTestId('in-call-bar');
    await expect.element(screen.getByTestId('call-phase')).toHaveTextContent('Calling…');
    await expect.element(screen.getByTestId('in-call-name')).toHaveTextContent('Maria Souza');
    expect(app.presence).toBe('busy');
    await expect.element(screen.getByTestId('call-button')).toBeDisabled();
    await expect.element(screen.getByTestId('call-reason')).toHaveTextContent('You are on a call.');

    clock.advance(2_000);
    platform.customerRings(callId);
    await expect.element(screen.getByTestId('call-phase')).toHaveTextContent('Ringing…');

    clock.advance(10_000);
    platform.customerAnswers(callId);
    await expect.element(bar).toHaveAttribute('data-phase', 'connected');
    await expect.element(screen.getByTestId('call-duration')).toHaveTextContent('0:00');
    clock.advance(7_000);
    await expect.element(screen.getByTestId('call-duration')).toHaveTextContent('0:07');

    platform.remoteHangUp();
    await expect.element(bar).not.toBeInTheDocument();
    await expect.element(screen.getByTestId('call-ended-reason')).toHaveTextContent('The customer hung up');

    await screen.getByTestId('tab-history').click();
    await screen.getByTestId('history-direction-filter').selectOptions('outbound');
    const row = screen.getByTestId('history-row');
    await expect.poll(() => row.elements().length).toBe(1);
    await expect.element(row).toHaveAttribute('data-direction', 'outbound');
    await expect.element(row).toHaveAttribute('data-status', 'completed');
    await expect.element(row.getByTestId('history-duration')).toHaveTextContent('0:07');
  });

  test("the conversation lists its calls, this one as outbound", async () => {
    const { screen, platform, callId } = await granted();
    await expect.element(screen.getByTestId('conversation-calls-empty')).toBeVisible();
    platform.customerAnswers(callId);
    platform.remoteHangUp();
    const call = screen.getByTestId('conversation-call');
    await expect.element(call).toHaveAttribute('data-direction', 'outbound');
    await expect.element(call).toHaveAttribute('data-status', 'completed');
  });

  test('declined by the customer ends with that reason and a rejected outbound record', async () => {
    const { screen, platform, callId } = await granted();
    platform.customerRings(callId);
    platform.customerDeclines(callId);
    await expect.element(screen.getByTestId('in-call-bar')).not.toBeInTheDocument();
    await expect.element(screen.getByTestId('call-ended')).toHaveAttribute('data-reason', 'declined');
    await expect.element(screen.getByTestId('call-ended-reason')).toHaveTextContent('Declined by the customer');
    await expect.element(screen.getByTestId('call-button')).toBeEnabled();

    await screen.getByTestId('tab-history').click();
    await screen.getByTestId('history-direction-filter').selectOptions('outbound');
    await expect.element(screen.getByTestId('history-row')).toHaveAttribute('data-status', 'rejected');
  });

  test('unanswered, it ends with "No answer"; the agent can also hang up while it rings', async () => {
    const { screen, platform, callId } = await granted();
    platform.customerMisses(callId);
    await expect.element(screen.getByTestId('call-ended-reason')).toHaveTextContent('No answer');

    await screen.getByTestId('call-button').click();
    await expect.element(screen.getByTestId('call-ended')).not.toBeInTheDocument();
    await screen.getByTestId('hang-up').click();
    await expect.element(screen.getByTestId('call-ended-reason')).toHaveTextContent('You hung up');
  });

  test('a failed call shows the failure message', async () => {
    const { screen, app, callId } = await granted();
    app.apply({ type: 'call_ended', callId, reason: 'failed', message: 'Meta refused the call (138006).' });
    await expect.element(screen.getByTestId('call-ended-reason')).toHaveTextContent('The call failed');
    await expect.element(screen.getByTestId('call-ended-message')).toHaveTextContent('Meta refused the call (138006).');
  });

  test('a call the platform refuses shows its reason and no call starts', async () => {
    const { screen, platform } = await openInbox();
    platform.placeCall = async () => {
      throw { code: 'no_call_permission', message: 'The customer has not given call permission.' };
    };
    platform.customerReplies('conv-maria', 'accept_temporary');
    await screen.getByTestId('call-button').click();
    await expect.element(screen.getByTestId('error-banner')).toHaveAttribute('data-code', 'no_call_permission');
    await expect.element(screen.getByTestId('in-call-bar')).not.toBeInTheDocument();
  });
});
