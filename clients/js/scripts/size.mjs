// Measures what users load: bytes and gzip -9 bytes of wxim.mjs and wxim.cjs. `--write` puts the table into
// README.md between the <!-- size --> markers (test/size.test.mjs checks that it is up to date).
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const FILES = ['wxim.mjs', 'wxim.cjs'];

/** { file, bytes, gzip } for each file users load. */
export function measure() {
  return FILES.map((file) => {
    const data = readFileSync(`${root}${file}`);
    return { file, bytes: data.length, gzip: gzipSync(data, { level: 9 }).length };
  });
}

/** The sizes as README.md states them: { file, bytes, gzip } parsed from the table between the markers. */
export function stated(readme) {
  const table = /<!-- size -->([\s\S]*)<!-- \/size -->/.exec(readme)[1];
  return [...table.matchAll(/^\| `([^`]+)` \| (\d+) \| (\d+) \|$/gm)]
    .map(([, file, bytes, gzip]) => ({ file, bytes: Number(bytes), gzip: Number(gzip) }));
}

// run as a script (also through a symlinked path), not imported by the test
if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  const rows = measure().map(({ file, bytes, gzip }) => `| \`${file}\` | ${bytes} | ${gzip} |`);
  const table = ['| file | bytes | gzip -9 bytes |', '|---|---|---|', ...rows].join('\n');
  console.log(table);
  if (process.argv.includes('--write')) {
    const readme = readFileSync(`${root}README.md`, 'utf8');
    const updated = readme.replace(/<!-- size -->[\s\S]*<!-- \/size -->/, `<!-- size -->\n${table}\n<!-- /size -->`);
    writeFileSync(`${root}README.md`, updated);
  }
}
