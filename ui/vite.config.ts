import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

/**
 * In dev, @vitejs/plugin-react injects its Fast Refresh preamble as an inline <script>,
 * which script-src 'self' blocks. main.tsx imports '@vitejs/plugin-react/preamble'
 * instead (an empty module in builds), so drop the inline copy.
 */
function noInlineRefreshPreamble(): Plugin {
  return {
    name: 'caredesk:no-inline-refresh-preamble',
    apply: 'serve',
    transformIndexHtml: {
      order: 'post',
      handler: (html) => html.replace(/<script type="module">\s*import \{ injectIntoGlobalHook \}[\s\S]*?<\/script>/, ''),
    },
  };
}

// Tauri serves ui/dist under a strict CSP (script-src 'self'; style-src 'self'),
// so the build must not emit inline scripts or inlined data: assets.
export default defineConfig({
  plugins: [react(), noInlineRefreshPreamble()],
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    // The import dialog shows the repository's examples/roster.csv (one sample file, not a copy).
    fs: { allow: ['.', '../examples'] },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
    reporters: ['default', './scripts/summary-reporter.mjs'],
  },
});
