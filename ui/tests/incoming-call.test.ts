import { afterEach, describe, expect, test } from 'vitest';
import { cleanup } from 'vitest-browser-svelte';
import { renderSignedIn } from './support';
import type { CancelReason, RoutedBecause } from '../src/backend/types';

afterEach(() => cleanup());

describe('incoming-call popup', () => {
  test('shows the caller, the business number and why the call was routed here', async () => {
    const { screen, platform } = await renderSignedIn();

    await expect.element(screen.getByTestId('incoming-popup')).not.toBeInTheDocument();
    platform.offerCall({
      customerName: 'Ana Lima',
      customerNumber: '5511900001234',
      businessNumber: '15550109999',
      routedBecause: 'contact_owner',
    });

    const popup = screen.getByTestId('incoming-popup');
    await expect.element(popup).toBeVisible();
    await expect.element(popup.getByTestId('caller-name')).toHaveTextContent('Ana Lima');
    await expect.element(popup.getByTestId('caller-number')).toHaveTextContent('+5511900001234');
    await expect.element(popup.getByTestId('business-number')).toHaveTextContent('+15550109999');
    await expect.element(popup.getByTestId('routed-because')).toHaveTextContent('own this contact');
  });

  test.each<[RoutedBecause, string]>([
    ['open_conversation', 'You are assigned to this conversation'],
    ['contact_owner', 'You own this contact'],
    ['round_robin', 'Next available agent (round robin)'],
  ])('routed because %s reads "%s"', async (routedBecause, text) => {
    const { screen, platform } = await renderSignedIn();
    platform.offerCall({ routedBecause });
    await expect.element(screen.getByTestId('routed-because')).toHaveTextContent(text);
  });

  test('a caller without a profile name is shown by number', async () => {
    const { screen, platform } = await renderSignedIn();
    platform.offerCall({ customerName: null, customerNumber: '447700900123' });

    await expect.element(screen.getByTestId('caller-name')).toHaveTextContent('+447700900123');
    await expect.element(screen.getByTestId('caller-number')).not.toBeInTheDocument();
  });

  test('Accept answers the call: the popup closes and the in-call bar opens', async () => {
    const { screen, platform, app } = await renderSignedIn();
    const offer = platform.offerCall({ customerName: 'Ana Lima' });

    await screen.getByTestId('accept-call').click();

    await expect.element(screen.getByTestId('incoming-popup')).not.toBeInTheDocument();
    await expect.element(screen.getByTestId('in-call-bar')).toBeVisible();
    await expect.element(screen.getByTestId('in-call-name')).toHaveTextContent('Ana Lima');
    expect(app.active?.callId).toBe(offer.callId);
    await expect.element(screen.getByTestId('presence-select')).toHaveValue('busy');
  });

  test('Reject declines the call: the popup closes and history records it rejected', async () => {
    const { screen, platform } = await renderSignedIn();
    platform.offerCall({ customerName: 'Ana Lima' });

    await screen.getByTestId('reject-call').click();

    await expect.element(screen.getByTestId('incoming-popup')).not.toBeInTheDocument();
    await expect.element(screen.getByTestId('in-call-bar')).not.toBeInTheDocument();
    const row = screen.getByTestId('history-row');
    await expect.element(row).toHaveAttribute('data-status', 'rejected');
    await expect.element(row).toHaveTextContent('Ana Lima');
  });

  test('the popup disappears when the customer cancels the call', async () => {
    const { screen, platform } = await renderSignedIn();
    const offer = platform.offerCall();
    await expect.element(screen.getByTestId('incoming-popup')).toBeVisible();

    platform.cancelCall(offer.callId, 'caller_hung_up');

    await expect.element(screen.getByTestId('incoming-popup')).not.toBeInTheDocument();
    await expect.element(screen.getByTestId('history-row')).toHaveAttribute('data-status', 'missed');
  });

  test.each<CancelReason>(['answered_elsewhere', 'timed_out', 'accept_window_closed', 'agent_unavailable'])(
    'the popup disappears when the call is cancelled: %s',
    async (reason) => {
    const { screen, platform, app } = await renderSignedIn();
    const offer = platform.offerCall();
    await expect.element(screen.getByTestId('incoming-popup')).toBeVisible();

    platform.cancelCall(offer.callId, reason);

    await expect.element(screen.getByTestId('incoming-popup')).not.toBeInTheDocument();
    await expect.element(screen.getByTestId('in-call-bar')).not.toBeInTheDocument();
    expect(app.incoming).toEqual([]);
    },
  );

  test('a second ringing call is shown once the first is cancelled', async () => {
    const { screen, platform } = await renderSignedIn();
    const first = platform.offerCall({ customerName: 'First Caller' });
    platform.offerCall({ customerName: 'Second Caller' });
    await expect.element(screen.getByTestId('caller-name')).toHaveTextContent('First Caller');

    platform.cancelCall(first.callId);

    await expect.element(screen.getByTestId('caller-name')).toHaveTextContent('Second Caller');
  });

  test('accepting a call the platform already withdrew shows the error', async () => {
    const { screen, platform, app } = await renderSignedIn();
    const offer = platform.offerCall();
    // The platform withdraws the call without the UI hearing about it (e.g. event lost).
    platform.cancelCall(offer.callId, 'timed_out');
    app.incoming = [offer];

    await screen.getByTestId('accept-call').click();

    await expect
      .element(screen.getByTestId('error-banner'))
      .toHaveAttribute('data-code', 'no_such_call');
    await expect.element(screen.getByTestId('in-call-bar')).not.toBeInTheDocument();
  });
});
