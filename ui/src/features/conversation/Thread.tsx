import { useMemo } from 'react';
import type { Patient } from '../../platform';
import { useMarkThreadRead, useThreadPages } from './queries';
import { patientNumberLabeler } from './recipients';
import { ThreadView } from './ThreadView';
import { useMarkReadWhileOpen } from './useMarkReadWhileOpen';

/** The patient's texts and calls from all their numbers, one thread, paged from the newest back. */
export function Thread({ patient }: { patient: Patient }) {
  const { pages, refreshError } = useThreadPages(patient.id);
  // Pages come newest first, each oldest first.
  const items = useMemo(() => (pages.data ? [...pages.data.pages].reverse().flatMap((p) => p.items) : []), [pages.data]);
  const labelFor = useMemo(() => patientNumberLabeler(patient), [patient]);
  const { mutate: markRead } = useMarkThreadRead();
  useMarkReadWhileOpen(patient.id, pages.data ? items : undefined, () => markRead(patient.id));

  const olderError = pages.isFetchNextPageError ? pages.error : null;
  const { fetchNextPage } = pages;
  const older = useMemo(
    () => ({
      hasMore: pages.hasNextPage,
      loading: pages.isFetchingNextPage,
      error: olderError,
      load: () => void fetchNextPage(),
    }),
    [pages.hasNextPage, pages.isFetchingNextPage, olderError, fetchNextPage],
  );

  return (
    <ThreadView
      items={items}
      labelFor={labelFor}
      pending={pages.isPending}
      error={(olderError ? null : pages.error) ?? refreshError}
      older={older}
    />
  );
}
