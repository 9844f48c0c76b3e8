// @vitest-environment jsdom
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { openPatient } from '../../test/conversation';
import { pagedThread, threadItem } from '../../test/fixtures';

describe('FHIR marks in a thread', () => {
  it('marks each text and call as recorded in FHIR, waiting, refused (with why) or not for FHIR', async () => {
    await openPatient(0, {
      thread_page: pagedThread(() => [
        threadItem({ id: 1, text: 'Recorded', state: 'delivered', fhir: { state: 'recorded', reason: null, reference: 'Communication/c-1' } }),
        threadItem({ id: 2, text: 'Waiting', state: 'sent', fhir: { state: 'pending', reason: null, reference: null } }),
        threadItem({ id: 3, text: 'Refused', state: 'sent', fhir: { state: 'failed', reason: 'recipient not found (422)', reference: null } }),
        threadItem({ id: 4, text: 'Off roster', state: 'sent', fhir: { state: 'skipped', reason: 'the patient is not on the FHIR server', reference: null } }),
        threadItem({ id: 5, text: 'Before the link', state: 'sent' }),
        threadItem({ id: 6, kind: 'call', text: '', state: 'completed', fhir: { state: 'recorded', reason: null, reference: 'Communication/c-6' } }),
      ]),
    });
    const thread = screen.getByTestId('thread');
    const bubbles = await within(thread).findAllByTestId('message');
    const mark = (i: number) => within(bubbles[i]!).queryByTestId('fhir-mark');
    expect(mark(0)).toHaveTextContent('Recorded in FHIR');
    expect(mark(0)).toHaveAttribute('title', 'Communication/c-1');
    expect(mark(1)).toHaveTextContent('FHIR: not recorded yet');
    expect(mark(2)).toHaveTextContent('FHIR: refused: recipient not found (422)');
    expect(mark(3)).toHaveTextContent('Not for FHIR');
    expect(mark(3)).toHaveAttribute('title', 'the patient is not on the FHIR server');
    expect(mark(4)).toBeNull();
    expect(within(within(thread).getByTestId('call-row')).getByTestId('fhir-mark')).toHaveTextContent('Recorded in FHIR');
  });
});
