// @vitest-environment jsdom
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { FhirServerCheck, FhirView } from '../../platform';
import { renderSettings } from '../../test/settings-backend';

const BASE = 'http://127.0.0.1:8080/fhir';

function view(over: Partial<FhirView['status']> = {}, extra: Partial<FhirView> = {}): FhirView {
  return {
    status: {
      base_url: BASE,
      last_pull_at: null,
      last_full_pull_at: null,
      patient_cursor: null,
      related_person_cursor: null,
      last_report: null,
      roster: { active: 0, inactive: 0, deleted: 0, current_numbers: 0, without_numbers: 0 },
      write_queue: { pending: 0, retrying: 0, failed: 0, written: 0, skipped: 0, failures: [], note: '' },
      ...over,
    },
    pulling: null,
    last_error: null,
    ...extra,
  };
}

const CHECK: FhirServerCheck = {
  base_url: BASE,
  fhir_version: '4.0.1',
  software: 'SEKMET',
  needs: [
    { what: 'Patient search with _lastUpdated', part: 'roster', supported: 'yes' },
    { what: 'Patient search with _count', part: 'roster_optional', supported: 'not_stated' },
    { what: 'Communication conditional create', part: 'write_back', supported: 'no' },
  ],
  patients_total: 240,
  notes: ['the server keeps no history of RelatedPerson'],
};

async function fhirSection() {
  return screen.findByRole('region', { name: 'FHIR server' });
}

describe('the FHIR section of Settings', () => {
  it('says it is not connected, and offers neither check nor pull, until an address is set', async () => {
    const { backend } = renderSettings({ fhir_status: () => view() });
    const section = await fhirSection();
    expect(within(section).getByTestId('fhir-not-configured')).toHaveTextContent('Not connected');
    expect(within(section).queryByRole('button', { name: 'Check connection to the FHIR server' })).toBeNull();
    expect(within(section).getByLabelText('FHIR server address')).toHaveValue('');
    // The bearer token's row, not the client secret's.
    expect(await within(section).findByTestId('credential-row')).toHaveTextContent('fhir-token');
    expect(within(section).queryByTestId('fhir-client-credentials')).toBeNull();
    expect(backend.callsTo('fhir_status')).toEqual([]);
  });

  it('shows the client-credentials fields and their secret when that sign-in is chosen', async () => {
    const { user, backend } = renderSettings({ fhir_status: () => view() }, { 'fhir.base_url': BASE });
    const section = await fhirSection();
    await user.selectOptions(within(section).getByLabelText('FHIR authorization'), 'client_credentials');
    await waitFor(() => expect(backend.callsTo('set_setting')).toContainEqual({ key: 'fhir.auth', value: 'client_credentials' }));
    const group = await within(section).findByTestId('fhir-client-credentials');
    expect(within(group).getByLabelText('Token endpoint')).toBeInTheDocument();
    expect(within(group).getByLabelText('Client id')).toBeInTheDocument();
    expect(await within(group).findByTestId('credential-row')).toHaveTextContent('fhir-client-secret');
  });

  it('checks the connection and lists each interaction CareDesk needs with the server\'s answer', async () => {
    const { user, backend } = renderSettings(
      { fhir_status: () => view(), fhir_check: () => CHECK },
      { 'fhir.base_url': BASE },
    );
    const section = await fhirSection();
    await user.click(within(section).getByRole('button', { name: 'Check connection to the FHIR server' }));
    const result = await within(section).findByTestId('fhir-check');
    expect(result).toHaveTextContent('Connection OK: SEKMET, FHIR 4.0.1, 240 patients');
    const rows = within(result).getAllByRole('row').slice(1).map((r) => r.textContent);
    expect(rows).toEqual([
      'Patient search with _lastUpdatedRoster (required)supported',
      'Patient search with _countRoster (optional)not stated',
      'Communication conditional createRecording texts and callsnot supported',
    ]);
    expect(result).toHaveTextContent('the server keeps no history of RelatedPerson');
    expect(backend.callsTo('fhir_check')).toHaveLength(1);
  });

  it('says the roster cannot be pulled when a required interaction is missing', async () => {
    const missing = { ...CHECK, needs: [{ what: 'Patient search', part: 'roster' as const, supported: 'no' as const }] };
    const { user } = renderSettings({ fhir_status: () => view(), fhir_check: () => missing }, { 'fhir.base_url': BASE });
    const section = await fhirSection();
    await user.click(within(section).getByRole('button', { name: 'Check connection to the FHIR server' }));
    const result = await within(section).findByTestId('fhir-check');
    expect(result).toHaveTextContent('The roster cannot be pulled');
    expect(result.querySelector('.check-result--failed')).not.toBeNull();
  });

  it('shows a refused check as the reason', async () => {
    const { user } = renderSettings(
      {
        fhir_status: () => view(),
        fhir_check: () => {
          throw { code: 'fhir_refused', message: 'the FHIR server refused the token (401)' };
        },
      },
      { 'fhir.base_url': BASE },
    );
    const section = await fhirSection();
    await user.click(within(section).getByRole('button', { name: 'Check connection to the FHIR server' }));
    expect(await within(section).findByRole('alert')).toHaveTextContent(
      'Connection failed: the FHIR server refused the token (401)',
    );
  });

  it('shows the roster, the write queue with its failures, and asks the engine for a pull', async () => {
    const state = view({
      last_pull_at: new Date(Date.now() - 120_000).toISOString(),
      roster: { active: 238, inactive: 1, deleted: 1, current_numbers: 301, without_numbers: 2 },
      write_queue: {
        pending: 3,
        retrying: 1,
        written: 120,
        skipped: 4,
        failed: 1,
        failures: ['message 41: the server refused the Communication (422): recipient not found'],
        note: '',
      },
    });
    const { user, backend } = renderSettings(
      { fhir_status: () => state, fhir_pull: () => null },
      { 'fhir.base_url': BASE },
    );
    const section = await fhirSection();
    const shown = await within(section).findByTestId('fhir-state');
    expect(shown).toHaveTextContent('Last pull 2 min ago');
    expect(within(shown).getByTestId('fhir-roster')).toHaveTextContent(
      'Roster from the server: 238 patients active, 1 inactive, 1 deleted, 301 numbers (2 without a number to text)',
    );
    expect(within(shown).getByTestId('fhir-writes')).toHaveTextContent(
      'Recorded on the server: 120 texts and calls · 3 writes waiting (1 retrying) · 1 failed · 4 not for the server',
    );
    expect(within(shown).getByTestId('fhir-write-failures')).toHaveTextContent('recipient not found');
    await user.click(within(section).getByRole('button', { name: 'Full pull' }));
    await user.click(within(section).getByRole('button', { name: 'Pull now' }));
    expect(backend.callsTo('fhir_pull')).toEqual([{ full: true }, { full: false }]);
  });

  it('shows a running pull\'s progress and its buttons disabled, and a failed pull\'s reason', async () => {
    const running = view({}, {
      pulling: { resource_type: 'Patient', pages: 3, resources: 300, patients_new: 12, patients_updated: 4 },
    });
    const { unmount } = renderSettings({ fhir_status: () => running }, { 'fhir.base_url': BASE });
    let section = await fhirSection();
    expect(await within(section).findByText('Pulling patients: page 3, 12 new, 4 updated')).toBeInTheDocument();
    expect(within(section).getByRole('button', { name: 'Pulling…' })).toBeDisabled();
    expect(within(section).getByRole('button', { name: 'Full pull' })).toBeDisabled();
    unmount();
    const failed = view({}, { last_error: 'FHIR server: HTTP 503 after 3 tries' });
    renderSettings({ fhir_status: () => failed }, { 'fhir.base_url': BASE });
    section = await fhirSection();
    expect(await within(section).findByRole('alert')).toHaveTextContent('Last pull failed: FHIR server: HTTP 503');
  });
});
