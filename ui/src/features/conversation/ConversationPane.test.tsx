// @vitest-environment jsdom
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { renderShell } from '../../test/renderApp';

describe('conversation pane', () => {
  it('shows a friendly empty state when no patient is selected', async () => {
    await renderShell();
    const pane = screen.getByTestId('conversation');
    expect(within(pane).getByText(/Choose a patient/)).toBeInTheDocument();
  });

  it("lists the patient's own and contact numbers with relationship and opt-out marks", async () => {
    const { user } = await renderShell();
    const rows = await screen.findAllByTestId('patient-row');
    await user.click(rows[0]!);
    const pane = screen.getByTestId('conversation');
    expect(within(pane).getByText('ECM 40213')).toBeInTheDocument();
    const numbers = within(within(pane).getByRole('list', { name: 'Phone numbers' })).getAllByRole('listitem');
    expect(numbers).toHaveLength(2);
    expect(numbers[0]).toHaveTextContent('+1 (555) 123-4567');
    expect(numbers[0]).toHaveTextContent('Patient');
    expect(numbers[1]).toHaveTextContent('+1 (555) 987-6543');
    expect(numbers[1]).toHaveTextContent('Rosa Moreno (daughter)');

    await user.click(screen.getAllByTestId('patient-row')[1]!);
    const bob = within(screen.getByRole('list', { name: 'Phone numbers' })).getAllByRole('listitem');
    expect(bob[0]).toHaveTextContent('Opted out');
  });
});
