import { DaySeparator } from './ThreadRowView';
import { OlderPagesRow, type OlderPages } from './OlderPagesRow';

/**
 * Above the first row, in space the virtualizer keeps free (its paddingStart), so nothing
 * here moves the rows: the paging state and the first item's day.
 */
export function ThreadTop({ older, firstDay }: { older: OlderPages | undefined; firstDay: string | null }) {
  return (
    <div className="thread__top">
      {older ? <OlderPagesRow older={older} /> : null}
      {firstDay ? <DaySeparator label={firstDay} /> : null}
    </div>
  );
}

/** Height of ThreadTop in pixels; thread.css gives .thread__top the same height. */
export const THREAD_TOP_PX = 96;
