// @vitest-environment node
// Guards the project's rules that a reviewer would otherwise check by hand.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const srcDir = fileURLToPath(new URL('.', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

const files = sourceFiles(srcDir).map((path) => ({
  rel: relative(srcDir, path).split(sep).join('/'),
  text: readFileSync(path, 'utf8'),
}));

describe('architecture', () => {
  it('only platform/ imports @tauri-apps/*', () => {
    const offenders = files
      .filter((f) => !f.rel.startsWith('platform/'))
      .filter((f) => /from\s+['"]@tauri-apps\/|import\(\s*['"]@tauri-apps\//.test(f.text))
      .map((f) => f.rel);
    expect(offenders).toEqual([]);
  });

  it('never renders HTML from strings', () => {
    const offenders = files
      .filter((f) => f.rel !== 'architecture.test.ts')
      .filter((f) => /dangerouslySetInnerHTML|\.innerHTML\s*=|insertAdjacentHTML/.test(f.text))
      .map((f) => f.rel);
    expect(offenders).toEqual([]);
  });

  it('app code does not import test-only helpers', () => {
    const offenders = files
      .filter((f) => !/\.test\.tsx?$/.test(f.rel) && !f.rel.startsWith('test/'))
      .filter((f) => /mockBackend|\/test\//.test(f.text) && f.rel !== 'platform/mockBackend.ts')
      .map((f) => f.rel);
    expect(offenders).toEqual([]);
  });
});
