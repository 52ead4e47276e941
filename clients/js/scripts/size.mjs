// Measures what users load: bytes and gzip -9 bytes of wxim.mjs and wxim.cjs. `--write` puts the table into
// README.md between the <!-- size --> markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const rows = ['wxim.mjs', 'wxim.cjs'].map((f) => {
  const data = readFileSync(`${root}${f}`);
  return `| \`${f}\` | ${data.length} | ${gzipSync(data, { level: 9 }).length} |`;
});
const table = ['| file | bytes | gzip -9 bytes |', '|---|---|---|', ...rows].join('\n');
console.log(table);
if (process.argv.includes('--write')) {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const updated = readme.replace(/<!-- size -->[\s\S]*<!-- \/size -->/, `<!-- size -->\n${table}\n<!-- /size -->`);
  writeFileSync(`${root}README.md`, updated);
}
