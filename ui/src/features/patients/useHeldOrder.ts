import { useCallback, useEffect, useRef, useState } from 'react';
import { holdOrder, type Keyed } from './heldOrder';

interface Shown<T> {
  fresh: T[];
  source: unknown;
  holding: boolean;
  rows: T[];
  waiting: number;
}

/**
 * The rows the patient column shows: the fresh order, except while `holding`, when the
 * shown order stays (see holdOrder) and `waiting` counts what the fresh order would change.
 * `showNew` applies the fresh order at once (the "N new" button). Rows of another `source`
 * (another search) are never held: they show as they come.
 *
 * `fresh` must keep its identity while unchanged (TanStack Query's data does).
 */
export function useHeldOrder<T extends Keyed>(fresh: T[], source: unknown, holding: boolean) {
  const [shown, setShown] = useState<Shown<T>>(() => ({ fresh, source, holding, rows: fresh, waiting: 0 }));
  let current = shown;
  if (shown.fresh !== fresh || shown.source !== source || shown.holding !== holding) {
    // Derived from the previous render's rows, the way React documents it (setState while rendering).
    const held = holding && shown.source === source ? holdOrder(shown.rows, fresh) : { rows: fresh, waiting: 0 };
    current = { fresh, source, holding, ...held };
    setShown(current);
  }
  const showNew = useCallback(() => setShown((s) => ({ ...s, rows: s.fresh, waiting: 0 })), []);
  return { rows: current.rows, waiting: current.waiting, showNew };
}

/**
 * How long the pointer may be out of the column before the list moves: crossing its edge
 * for a moment moves nothing (and a leave reported while the pointer only passed from a row
 * to the "N new" button, with no element to say where it went, is taken back by the enter).
 */
export const LEAVE_GRACE_MS = 150;

/**
 * Whether the patient column holds its order: while the pointer is over the column, or
 * while the list has the focus from the keyboard (arrows, Tab, ArrowDown from the search).
 * A click focuses the list too, but then only the pointer holds it: once the pointer
 * leaves for the conversation, the list may move.
 */
export function useColumnHold() {
  const [pointer, setPointer] = useState(false);
  const [keyboard, setKeyboard] = useState(false);
  const pressed = useRef(false);
  const leaving = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(leaving.current), []);
  const release = useCallback(() => {
    pressed.current = false;
  }, []);
  return {
    holding: pointer || keyboard,
    /** For the whole column. */
    columnProps: {
      onPointerEnter: useCallback(() => {
        clearTimeout(leaving.current);
        setPointer(true);
      }, []),
      onPointerLeave: useCallback(() => {
        clearTimeout(leaving.current);
        leaving.current = setTimeout(() => setPointer(false), LEAVE_GRACE_MS);
      }, []),
    },
    /** For the listbox: where its focus came from. */
    listProps: {
      onPointerDown: useCallback(() => {
        pressed.current = true;
        setKeyboard(false);
      }, []),
      onPointerUp: release,
      onPointerCancel: release,
      onBlur: useCallback(() => setKeyboard(false), []),
    },
    /** Call when the listbox gets the focus. */
    onListFocus: useCallback(() => {
      setKeyboard(!pressed.current);
      pressed.current = false;
    }, []),
    /** Call on a key in the listbox. */
    onListKey: useCallback(() => setKeyboard(true), []),
  };
}
