// @vitest-environment jsdom
import { render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { Providers } from '../../app/Providers';
import { createQueryClient } from '../../app/queryClient';
import type { FhirView } from '../../platform';
import { installMockBackend } from '../../platform/mockBackend';
import { allSettings } from '../../test/settings-backend';
import { FhirStatusBar } from './FhirStatusBar';

const BASE = 'https://fhir.clinic.example/r4';

function view(write_queue: Partial<FhirView['status']['write_queue']> = {}, extra: Partial<FhirView> = {}): FhirView {
  return {
    status: {
      base_url: BASE,
      last_pull_at: '2026-12-07T05:00:00Z',
      last_full_pull_at: null,
      patient_cursor: null,
      related_person_cursor: null,
      last_report: null,
      roster: { active: 3, inactive: 0, deleted: 0, current_numbers: 3, without_numbers: 0 },
      write_queue: { pending: 0, retrying: 0, failed: 0, written: 0, skipped: 0, failures: [], note: '', ...write_queue },
    },
    pulling: null,
    last_error: null,
    ...extra,
  };
}

function renderBar(state: FhirView, baseUrl: string | null = BASE) {
  const backend = installMockBackend({
    get_settings: () => allSettings({ 'fhir.base_url': baseUrl }),
    fhir_status: () => state,
  });
  render(
    <Providers client={createQueryClient()}>
      <FhirStatusBar />
    </Providers>,
  );
  return backend;
}

describe('the status bar FHIR part', () => {
  it('is absent, and asks nothing, without a FHIR server', async () => {
    const backend = renderBar(view(), null);
    await waitFor(() => expect(backend.callsTo('get_settings')).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.queryByTestId('fhir-status')).toBeNull();
    expect(backend.callsTo('fhir_status')).toEqual([]);
  });

  it('says up to date when nothing waits', async () => {
    renderBar(view());
    expect(await screen.findByTestId('fhir-status')).toHaveTextContent('FHIR up to date');
  });

  it('counts writes waiting and failed, as a problem with the first reason as its title', async () => {
    renderBar(view({ pending: 2, failed: 1, failures: ['message 7: refused (422)'] }));
    const part = await screen.findByTestId('fhir-status');
    expect(part).toHaveTextContent('FHIR: 2 writes waiting · 1 failed');
    expect(part).toHaveClass('fhir-status--problem');
    expect(part).toHaveAttribute('title', 'message 7: refused (422)');
  });

  it('shows a pull running, and a pull that failed', async () => {
    renderBar(
      view({}, { pulling: { resource_type: 'RelatedPerson', pages: 2, resources: 150, patients_new: 0, patients_updated: 0 } }),
    );
    expect(await screen.findByTestId('fhir-status')).toHaveTextContent(
      'FHIR: Pulling related persons: page 2, 0 new, 0 updated',
    );
  });

  it('shows a failed pull with its reason', async () => {
    renderBar(view({}, { last_error: 'FHIR server: HTTP 503' }));
    const part = await screen.findByTestId('fhir-status');
    expect(part).toHaveTextContent('FHIR pull failed');
    expect(part).toHaveAttribute('title', 'FHIR server: HTTP 503');
  });
});
