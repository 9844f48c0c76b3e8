// Marks the first frame painted after the page's content exists, in the
// same clock the startup probe reads (ms since the epoch).
document.addEventListener("DOMContentLoaded", () => {
  requestAnimationFrame(() => {
    window.__benchReady = performance.timeOrigin + performance.now();
  });
});
