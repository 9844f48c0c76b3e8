import { useState } from 'react';
// The very file the README points at (examples/roster.csv): one sample, never two.
import sampleRoster from '../../../../examples/roster.csv?raw';

/** The CSV columns the import reads, in the order of the sample file. */
export const ROSTER_COLUMNS: { name: string; what: string }[] = [
  { name: 'ecm_patient_id', what: "optional: the patient's ECM id (a whole number); links the patient to ECM" },
  { name: 'name', what: "required: the patient's name" },
  { name: 'phone', what: "the patient's own number (any common format; a number without a country code is read in your region)" },
  { name: 'contact_name', what: 'optional: a family member or caregiver' },
  { name: 'contact_relationship', what: 'optional: daughter, son, caregiver…' },
  { name: 'contact_phone', what: "the contact's number (a row needs phone or contact_phone)" },
];

export { sampleRoster };

/** What a CSV roster needs, and a sample to copy. */
export function RosterColumns() {
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(sampleRoster);
      setCopied('yes');
    } catch {
      setCopied('no');
    }
  }

  return (
    <details className="roster-columns" data-testid="roster-columns">
      <summary>Which columns a CSV roster needs</summary>
      <p>
        A header row, then one row per patient; columns in any order. Several rows with the same patient (one per contact)
        are merged.
      </p>
      <dl>
        {ROSTER_COLUMNS.map((c) => (
          <div key={c.name} className="roster-columns__row">
            <dt>
              <code>{c.name}</code>
            </dt>
            <dd>{c.what}</dd>
          </div>
        ))}
      </dl>
      <p>
        A sample file (<code>examples/roster.csv</code> in CareDesk&apos;s sources):
      </p>
      <pre className="roster-columns__sample" data-testid="roster-sample">
        {sampleRoster}
      </pre>
      <button type="button" className="button" onClick={() => void copy()}>
        Copy the sample
      </button>
      {copied === 'yes' ? <span className="muted"> Copied: paste it into a file named roster.csv.</span> : null}
      {copied === 'no' ? <span className="muted"> Copying is not allowed here: select the text above instead.</span> : null}
    </details>
  );
}
