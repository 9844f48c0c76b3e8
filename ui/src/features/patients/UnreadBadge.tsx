/**
 * "3" in a pill, with "3 unread" for screen readers beside it. Nothing when there is
 * nothing unread. The pill's own text is just the number.
 */
export function UnreadBadge({ count }: { count: number }) {
  if (count <= 0) return null;
  return (
    <>
      <span className="unread-badge" data-testid="unread-badge" title={`${count} unread`} aria-hidden="true">
        {count > 99 ? '99+' : count}
      </span>
      <span className="visually-hidden">{`, ${count} unread`}</span>
    </>
  );
}
