// wxim.cjs (what a mini-program `require`s) is generated from wxim.mjs and must be committed up to date.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { toCommonJs } from '../scripts/build-cjs.mjs';
import * as esm from '../wxim.mjs';

const read = (f) => readFileSync(new URL(`../${f}`, import.meta.url), 'utf8');

test('wxim.cjs is exactly what scripts/build-cjs.mjs makes of wxim.mjs (run `npm run build` if not)', () => {
  assert.equal(read('wxim.cjs'), toCommonJs(read('wxim.mjs')));
});

test('require() of the package gives the same API as import', () => {
  const require = createRequire(import.meta.url);
  const cjs = require('../wxim.cjs');
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).sort());
  assert.equal(typeof cjs.createClient, 'function');
  const pkg = JSON.parse(read('package.json'));
  assert.equal(pkg.main, 'wxim.cjs');
  assert.deepEqual(pkg.exports['.'].require, './wxim.cjs');
  assert.deepEqual(pkg.exports['.'].import, './wxim.mjs');
  assert.equal(pkg.dependencies, undefined, 'no runtime dependencies');
});

test('wxim.d.ts declares every export', () => {
  const dts = read('wxim.d.ts');
  for (const name of Object.keys(esm)) assert.match(dts, new RegExp(`export (declare )?(function|class|const) ${name}\\b`), name);
});
