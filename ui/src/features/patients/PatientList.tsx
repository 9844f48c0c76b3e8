import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import {
  useCallback,
  useEffect,
  useId,
  useLayoutEffect,
  type FocusEventHandler,
  type KeyboardEvent,
  type PointerEventHandler,
  type RefObject,
} from 'react';
import type { PatientThread } from '../../platform';
import { PatientRow } from './PatientRow';
import type { MorePatients } from './queries';

interface Props {
  patients: PatientThread[];
  /** The open thread. */
  selectedId: number | null;
  /** The keyboard cursor (aria-activedescendant). */
  activeId: number | null;
  /** The search the rows are for: a new one shows the list from the top. */
  query: string | null;
  more: MorePatients;
  onOpen: (patient: PatientThread) => void;
  onKeyDown: (event: KeyboardEvent<HTMLDivElement>) => void;
  onFocus: () => void;
  /** Where the focus came from, for holding the order still (useColumnHold). */
  pointerHandlers?: {
    onPointerDown?: PointerEventHandler<HTMLDivElement>;
    onPointerUp?: PointerEventHandler<HTMLDivElement>;
    onPointerCancel?: PointerEventHandler<HTMLDivElement>;
    onBlur?: FocusEventHandler<HTMLDivElement>;
  };
  listRef: RefObject<HTMLDivElement | null>;
  /** Team mode: this desk's member's role, for who sent a row's newest text. */
  me?: string | null;
}

/** Starting height of a row before it is measured (patients.css: three single lines). */
const ROW_ESTIMATE_PX = 78;
/** Space above the first row and below the last, in pixels. */
const LIST_PADDING_PX = 4;
/** The next page loads once the view reaches this many rows from the end of the loaded ones. */
export const LOAD_MORE_WITHIN_ROWS = 10;

/**
 * The threads as a single-select listbox: the cursor moves with the arrows, Enter or a click opens.
 * Virtualized like the conversation thread: only the rows near the view (and the cursor's)
 * are in the DOM, placed by the virtualizer through the CSSOM (no style attributes, for the
 * CSP). Scrolling near the end of the loaded rows asks for the next page.
 */
export function PatientList(props: Props) {
  const { patients, selectedId, activeId, query, more, onOpen, onKeyDown, onFocus, pointerHandlers, listRef } = props;
  const me = props.me ?? null;
  const baseId = useId();
  const optionId = (id: number) => `${baseId}-patient-${id}`;
  const activeIndex = activeId === null ? -1 : patients.findIndex((p) => p.id === activeId);
  const activeOption = activeIndex >= 0 ? optionId(activeId!) : undefined;

  const getItemKey = useCallback((index: number) => patients[index]?.id ?? index, [patients]);
  // The option aria-activedescendant names stays in the DOM even when scrolled out of view.
  const rangeExtractor = useCallback(
    (range: Range) => {
      const indexes = defaultRangeExtractor(range);
      if (activeIndex < 0 || indexes.includes(activeIndex)) return indexes;
      return [...indexes, activeIndex].sort((a, b) => a - b);
    },
    [activeIndex],
  );
  const virtualizer = useVirtualizer({
    count: patients.length,
    getScrollElement: () => listRef.current,
    estimateSize: () => ROW_ESTIMATE_PX,
    getItemKey,
    rangeExtractor,
    paddingStart: LIST_PADDING_PX,
    paddingEnd: LIST_PADDING_PX,
    // A row scrolled to keeps that space too (the first row goes back to the very top).
    scrollPaddingStart: LIST_PADDING_PX,
    scrollPaddingEnd: LIST_PADDING_PX,
    overscan: 6,
    directDomUpdates: true,
  });
  const virtualItems = virtualizer.getVirtualItems();
  const lastInView = virtualizer.range?.endIndex ?? -1;

  useLayoutEffect(() => {
    if (activeIndex >= 0) virtualizer.scrollToIndex(activeIndex);
  }, [activeId]);

  // On mount this also has the virtualizer work out its range again with the rows measured in
  // the first commit (measured before its sizer was attached, they do not re-render by themselves).
  useLayoutEffect(() => {
    virtualizer.scrollToOffset(0);
  }, [query]);

  // Also when the loaded rows do not fill the view, so no scroll would ever ask.
  useEffect(() => {
    if (more.canLoad && patients.length > 0 && lastInView >= patients.length - 1 - LOAD_MORE_WITHIN_ROWS) more.load();
  }, [more.canLoad, more.load, lastInView, patients.length]);

  return (
    <div
      ref={listRef}
      className="patient-list"
      role="listbox"
      aria-label="Patients"
      data-testid="patient-list"
      tabIndex={0}
      aria-activedescendant={activeOption}
      aria-busy={more.loading}
      onKeyDown={onKeyDown}
      onFocus={onFocus}
      {...pointerHandlers}
    >
      {patients.length > 0 ? (
        <ul ref={virtualizer.containerRef} className="patient-list__sizer" role="presentation">
          {virtualItems.map((virtual) => {
            const patient = patients[virtual.index];
            if (!patient) return null;
            return (
              <PatientRow
                key={virtual.key}
                index={virtual.index}
                measureRef={virtualizer.measureElement}
                patient={patient}
                optionId={optionId(patient.id)}
                selected={patient.id === selectedId}
                active={patient.id === activeId}
                onOpen={onOpen}
                me={me}
              />
            );
          })}
        </ul>
      ) : null}
      {more.loading && patients.length > 0 ? (
        <p className="patient-list__more muted" aria-hidden="true">
          Loading more…
        </p>
      ) : null}
    </div>
  );
}
