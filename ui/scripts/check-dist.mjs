// Fails the build if dist/ would break the app's CSP
// (script-src 'self'; style-src 'self'): inline scripts, inline styles, inline handlers, eval.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = new URL('../dist/', import.meta.url).pathname;
const problems = [];

const html = readFileSync(join(dist, 'index.html'), 'utf8');
for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
  if (!/\bsrc=/.test(m[1]) || m[2].trim() !== '') problems.push('index.html: inline <script>');
}
if (/<style\b/i.test(html)) problems.push('index.html: inline <style>');
if (/\sstyle\s*=/i.test(html)) problems.push('index.html: style="" attribute');
if (/\son[a-z]+\s*=/i.test(html)) problems.push('index.html: inline event handler attribute');
if (/(src|href)\s*=\s*["']data:/i.test(html)) problems.push('index.html: data: URL');

const assets = join(dist, 'assets');
for (const name of readdirSync(assets).filter((f) => f.endsWith('.js'))) {
  const js = readFileSync(join(assets, name), 'utf8');
  if (/\beval\(|\bnew Function\(/.test(js)) problems.push(`${name}: eval or new Function`);
}

if (problems.length > 0) {
  console.error(`CSP check failed:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('CSP check: dist/index.html has no inline script, style or handler; no eval in bundles.');
