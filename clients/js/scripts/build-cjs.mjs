// Generates wxim.cjs (CommonJS, for mini-program `require`) from wxim.mjs, the source of truth.
// wxim.mjs has no imports; its top-level `export` declarations become module.exports. Usage:
//   node scripts/build-cjs.mjs          writes wxim.cjs
//   node scripts/build-cjs.mjs --check  exits 1 if wxim.cjs is out of date
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The CommonJS text for an ES module source without imports. */
export function toCommonJs(source) {
  if (/^\s*import\s/m.test(source) || /import\.meta|^\s*export\s+(default|\{|\*)/m.test(source)) {
    throw new Error('wxim.mjs must only use `export function|class|const` declarations and no imports');
  }
  const names = [];
  const body = source.replace(/^export (async function\*?|function\*?|class|const|let) ([A-Za-z_$][\w$]*)/gm, (m, kind, name) => {
    names.push(name);
    return `${kind} ${name}`;
  });
  return `'use strict';\n// GENERATED from wxim.mjs by scripts/build-cjs.mjs: do not edit.\n${body}\nmodule.exports = { ${names.join(', ')} };\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = toCommonJs(readFileSync(`${root}wxim.mjs`, 'utf8'));
  if (process.argv.includes('--check')) {
    if (readFileSync(`${root}wxim.cjs`, 'utf8') !== out) {
      console.error('wxim.cjs is out of date: run npm run build');
      process.exit(1);
    }
  } else {
    writeFileSync(`${root}wxim.cjs`, out);
    console.log(`wrote wxim.cjs (${out.length} bytes)`);
  }
}
