// Unknown-field check for Kubernetes objects. kubernetes-models' validators check types, enums and required fields
// but accept any extra field, so a misspelled field (`imagee`, `readinessprobe`) would pass. This walks an object
// along the typed interfaces in kubernetes-models' .d.ts files (generated from the same OpenAPI schemas) and
// reports every field the schema does not define.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const roots = ['kubernetes-models', '@kubernetes-models/apimachinery'].map((p) =>
  path.dirname(require.resolve(`${p}/package.json`)));

let interfaces = null; // interface name -> Map(prop -> type string)

function walkDts(dir, out) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== '_schemas') walkDts(p, out);
    } else if (e.name.endsWith('.d.ts')) {
      out.push(p);
    }
  }
  return out;
}

function load() {
  if (interfaces) return interfaces;
  interfaces = new Map();
  const aliases = [];
  const files = roots.flatMap((r) => walkDts(r, []));
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    const local = new Map(); // interface names repeat across API versions: resolve aliases within the file
    const re = /export interface (\w+)(?: extends [\w, ]+)? \{\n([\s\S]*?)\n\}/g;
    let m;
    while ((m = re.exec(text))) {
      const props = new Map();
      const lines = m[2].split('\n');
      for (let i = 0; i < lines.length; i++) {
        const p = /^ {4}"([^"]+)"\??: (.+)$/.exec(lines[i]);
        if (!p) continue;
        let type = p[2];
        // multi-line types ({ [key: string]: string; }) end at the closing brace on the property's indent
        while (type.endsWith('{') && i + 1 < lines.length) {
          i++;
          type += ' ' + lines[i].trim();
          if (/^ {4}\};?$/.test(lines[i])) break;
        }
        props.set(p[1], type.replace(/;$/, '').replace(/\s+/g, ' '));
      }
      if (m[0].includes('extends TypeMeta')) {
        props.set('apiVersion', 'string');
        props.set('kind', 'string');
      }
      interfaces.set(m[1], props);
      local.set(m[1], props);
    }
    // generated aliases: export type { IDeploymentSpec as IIoK8sApiAppsV1DeploymentSpec, ... }
    for (const a of text.matchAll(/export type \{ (\w+) as (\w+),/g)) if (local.has(a[1])) aliases.push([a[2], local.get(a[1])]);
  }
  for (const [alias, props] of aliases) interfaces.set(alias, props);
  return interfaces;
}

function check(value, type, where, errors) {
  if (value === null || value === undefined) return;
  const ifs = load();
  const arr = /^Array<(\w+)>$/.exec(type);
  if (arr) {
    if (Array.isArray(value)) value.forEach((v, i) => check(v, arr[1], `${where}[${i}]`, errors));
    return;
  }
  const map = /^\{ ?\[key: string\]: (\w+);? ?\}$/.exec(type);
  if (map) {
    if (typeof value === 'object') for (const [k, v] of Object.entries(value)) check(v, map[1], `${where}.${k}`, errors);
    return;
  }
  const props = ifs.get(type);
  if (!props || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (!props.has(k)) {
      errors.push(`${where}.${k}: unknown field (not in the ${type.replace(/^IIoK8s(Apimachinery|Api)?/, '').replace(/^I/, '')} schema)`);
    } else {
      check(v, props.get(k), `${where}.${k}`, errors);
    }
  }
}

/** Unknown fields of `obj`, whose top-level interface is `I<Kind>` of its kubernetes-models class file. */
export function unknownFields(obj, modelFile) {
  const text = fs.readFileSync(modelFile, 'utf8');
  load();
  const m = /export type \{ (I\w+) as (I\w+),/.exec(text);
  if (!m || !interfaces.has(m[2])) return [];
  const errors = [];
  check(obj, m[2], `${obj.kind}/${obj.metadata?.name}`, errors);
  return errors;
}

export function modelDts(apiVersion, kind) {
  const gv = apiVersion.includes('/') ? apiVersion : `v1`;
  const f = path.join(roots[0], gv, `${kind}.d.ts`);
  return fs.existsSync(f) ? f : null;
}
