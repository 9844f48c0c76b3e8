import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { onTestFinished, vi } from 'vitest';
import { App } from '../app/App';
import { Providers } from '../app/Providers';
import { createQueryClient } from '../app/queryClient';
import { installMockBackend, type CommandHandler } from '../platform/mockBackend';
import * as fx from './fixtures';

/** Default handlers for every command; tests override the ones they care about. */
export function defaultHandlers(): Record<string, CommandHandler> {
  return {
    app_info: () => fx.appInfo,
    lock_status: () => ({ state: 'unlocked', retry_after_ms: 0, idle_lock_secs: 600 }),
    report_activity: () => false,
    lock_now: () => null,
    list_patients: (args) => fx.searchPatients(fx.patients, args.query),
    list_threads: (args) => fx.threadListing(fx.patientThreads, args.query, undefined, args.limit),
    thread_page: () => ({ items: [], older: null }),
    mark_thread_read: () => null,
    list_unmatched: () => [],
    unmatched_thread: () => [],
    list_templates: () => [],
    mark_unmatched_read: () => null,
    link_number: () => 0,
    get_settings: () => fx.settings,
    set_setting: () => null,
    credential_status: () => fx.credentials,
    set_credential: () => null,
    delete_credential: () => null,
    send_sms: (args) => fx.smsOutcome({ patient_id: args.patientId as number, to: args.to as string }),
    place_call: (args) => fx.callOutcome({ patient_id: args.patientId as number, to: args.to as string }),
    sync_status: () => fx.syncView,
    sync_now: () => null,
    list_sender_numbers: () => [],
    activity_log: () => ({ rows: [], per_day: [] }),
    // A desk alone: nothing of the team shows (team tests override these).
    team_view: () => ({ me: null, members: [] }),
    ...eventHandlers(),
  };
}

// ---- Backend events: listen/unlisten go through IPC; emitEvent calls the listeners back. ----

interface TauriCallbacks {
  runCallback(id: number, data: unknown): void;
}

let listeners: { event: string; handler: number }[] = [];

function eventHandlers(): Record<string, CommandHandler> {
  listeners = [];
  return {
    'plugin:event|listen': (args) => {
      listeners.push({ event: args.event as string, handler: args.handler as number });
      return args.handler;
    },
    'plugin:event|unlisten': (args) => {
      listeners = listeners.filter((l) => l.handler !== args.eventId);
      return null;
    },
  };
}

/** How many listeners the app has on `event` now. */
export function listenerCount(event: string): number {
  return listeners.filter((l) => l.event === event).length;
}

/** Emits a backend event to the app, the way the Rust side does. */
export function emitEvent(event: string, payload: unknown) {
  const internals = (window as unknown as { __TAURI_INTERNALS__: TauriCallbacks }).__TAURI_INTERNALS__;
  for (const l of listeners.filter((x) => x.event === event)) {
    internals.runCallback(l.handler, { event, id: l.handler, payload });
  }
}

// ---- Layout: jsdom lays nothing out, so give the virtualized lists a viewport and their rows a height. ----

/** Height of a virtualized list's viewport and of every row in it, in pixels. */
export const FAKE_VIEWPORT = 600;
export const FAKE_ROW = 40;

/** The virtualized lists: the scroll element's class and its sizer's selector. */
const VIRTUAL_LISTS: [string, string][] = [
  ['thread', '.thread__sizer'],
  ['patient-list', '.patient-list__sizer'],
];

function sizerOf(el: Element): string | undefined {
  return VIRTUAL_LISTS.find(([scroller]) => el.classList.contains(scroller))?.[1];
}

function isVirtualList(el: Element): boolean {
  return sizerOf(el) !== undefined;
}

function contentHeight(el: Element): number {
  const sizer = el.querySelector<HTMLElement>(sizerOf(el)!);
  return sizer ? Number.parseFloat(sizer.style.height) || 0 : 0;
}

/**
 * Gives the virtualized lists (the thread, the patient column) a layout: a 600 px viewport,
 * 40 px rows, a scroll height from the size the virtualizer gives its sizer, and an element
 * scrollTo that scrolls (clamped) and then fires a scroll event.
 */
export function installFakeLayout() {
  const clientHeight = Object.getOwnPropertyDescriptor(Element.prototype, 'clientHeight')!.get!;
  vi.spyOn(Element.prototype, 'clientHeight', 'get').mockImplementation(function (this: Element) {
    return isVirtualList(this) ? FAKE_VIEWPORT : clientHeight.call(this);
  });
  const scrollHeight = Object.getOwnPropertyDescriptor(Element.prototype, 'scrollHeight')!.get!;
  vi.spyOn(Element.prototype, 'scrollHeight', 'get').mockImplementation(function (this: Element) {
    return isVirtualList(this) ? Math.max(contentHeight(this), FAKE_VIEWPORT) : scrollHeight.call(this);
  });
  const offsetHeight = Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'offsetHeight')!.get!;
  vi.spyOn(HTMLElement.prototype, 'offsetHeight', 'get').mockImplementation(function (this: HTMLElement) {
    return this.hasAttribute('data-index') ? FAKE_ROW : offsetHeight.call(this);
  });
  Object.defineProperty(Element.prototype, 'scrollTo', {
    configurable: true,
    writable: true,
    value(this: Element, options: ScrollToOptions | number, y?: number) {
      const top = typeof options === 'number' ? (y ?? 0) : (options.top ?? this.scrollTop);
      this.scrollTop = Math.max(0, Math.min(top, this.scrollHeight - this.clientHeight));
      // Browsers fire scroll events later, never inside the call.
      queueMicrotask(() => this.dispatchEvent(new Event('scroll')));
    },
  });
  onTestFinished(() => {
    delete (Element.prototype as { scrollTo?: unknown }).scrollTo;
  });
}

/** Scrolls an element the way a user would (sets scrollTop, fires scroll). */
export function scrollTo(el: Element, top: number) {
  el.scrollTop = top;
  el.dispatchEvent(new Event('scroll'));
}

export function renderApp(overrides: Record<string, CommandHandler> = {}) {
  installFakeLayout();
  const backend = installMockBackend({ ...defaultHandlers(), ...overrides });
  const user = userEvent.setup();
  const utils = render(
    <Providers client={createQueryClient()}>
      <App />
    </Providers>,
  );
  return { ...utils, user, backend };
}

/**
 * renderApp, then waits until app_info has answered and the shell is on screen
 * (App shows only a startup screen before that).
 */
export async function renderShell(overrides: Record<string, CommandHandler> = {}) {
  const utils = renderApp(overrides);
  await screen.findByTestId('status-bar');
  return utils;
}
