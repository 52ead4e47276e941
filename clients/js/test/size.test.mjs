// The size table in README.md is what users load (run `npm run size -- --write` after changing wxim.mjs).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FILES, measure, stated } from '../scripts/size.mjs';

test('README.md states the files\' sizes as they are (gzip within 2 %: zlib builds differ a little)', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const table = stated(readme);
  assert.deepEqual(table.map((row) => row.file), FILES);
  for (const actual of measure()) {
    const row = table.find((r) => r.file === actual.file);
    assert.equal(row.bytes, actual.bytes, `${actual.file}: run \`npm run size -- --write\``);
    assert.ok(Math.abs(row.gzip - actual.gzip) <= actual.gzip * 0.02, `${actual.file}: gzip ${row.gzip} stated, ${actual.gzip} measured`);
  }
});
