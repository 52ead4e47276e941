// The small subset of kustomize that wxim's k8s/ uses, so overlays render on a machine without kustomize:
//   resources (files, or directories holding a kustomization.yaml), namespace, labels (pairs, metadata only unless
//   includeSelectors/includeTemplates), commonLabels, images (newName/newTag/digest), patches by path or inline
//   (strategic merge, target = kind + name of the patch; lists merged by key where Kubernetes defines one:
//   containers/env/volumes/... by name, volumeMounts by mountPath, ports by containerPort; other lists replaced).
// Anything outside the subset is an error, never silently ignored. CLI: node render.mjs k8s/overlays/local
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const SUPPORTED = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'commonLabels', 'images', 'patches']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition',
  'PersistentVolume', 'StorageClass', 'PriorityClass', 'IngressClass', 'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration']);
// patchMergeKey per list field name (the subset of the Kubernetes OpenAPI extensions these manifests need)
const MERGE_KEYS = {
  containers: 'name', initContainers: 'name', ephemeralContainers: 'name', env: 'name', volumes: 'name',
  imagePullSecrets: 'name', volumeMounts: 'mountPath', volumeDevices: 'devicePath', ports: 'containerPort',
  hostAliases: 'ip', topologySpreadConstraints: 'topologyKey', tolerations: null,
};
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

export class RenderError extends Error {}

// Kubernetes manifests: YAML 1.1 like Kubernetes' parser (0440 is octal, yes/no are booleans). Compose files:
// `{ version: '1.2' }` (Compose's go-yaml v3) with merge keys (<<).
export function readYamlDocs(file, options = { version: '1.1', merge: true }) {
  const text = fs.readFileSync(file, 'utf8');
  const docs = YAML.parseAllDocuments(text, options);
  const out = [];
  for (const d of docs) {
    if (d.errors.length) throw new RenderError(`${file}: YAML error: ${d.errors[0].message}`);
    const v = d.toJS();
    if (v !== null && v !== undefined) out.push(v);
  }
  return out;
}

function kustomizationFile(dir) {
  for (const n of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) {
    const f = path.join(dir, n);
    if (fs.existsSync(f)) return f;
  }
  return null;
}

export function readKustomization(dir) {
  const file = kustomizationFile(dir);
  if (!file) throw new RenderError(`${dir}: no kustomization.yaml`);
  const [k] = readYamlDocs(file);
  for (const key of Object.keys(k ?? {})) {
    if (!SUPPORTED.has(key)) {
      throw new RenderError(`${file}: field '${key}' is outside the kustomize subset render.mjs implements ` +
        `(${[...SUPPORTED].join(', ')})`);
    }
  }
  return { file, k };
}

const id = (o) => `${o.kind}/${o.metadata?.name}`;

function addLabels(objs, pairs, { includeSelectors = false, includeTemplates = false } = {}) {
  for (const o of objs) {
    o.metadata ??= {};
    o.metadata.labels = { ...(o.metadata.labels ?? {}), ...pairs };
    const templ = POD_TEMPLATE_KINDS.has(o.kind) ? o.spec?.template : null;
    if ((includeTemplates || includeSelectors) && templ) {
      templ.metadata ??= {};
      templ.metadata.labels = { ...(templ.metadata.labels ?? {}), ...pairs };
    }
    if (includeSelectors) {
      if (POD_TEMPLATE_KINDS.has(o.kind) && o.kind !== 'Job') {
        o.spec.selector ??= {};
        o.spec.selector.matchLabels = { ...(o.spec.selector.matchLabels ?? {}), ...pairs };
      } else if (o.kind === 'Service' && o.spec) {
        o.spec.selector = { ...(o.spec.selector ?? {}), ...pairs };
      } else if (o.kind === 'PodDisruptionBudget' && o.spec) {
        o.spec.selector ??= {};
        o.spec.selector.matchLabels = { ...(o.spec.selector.matchLabels ?? {}), ...pairs };
      } else if (o.kind === 'NetworkPolicy') {
        throw new RenderError('labels with includeSelectors on a NetworkPolicy: outside the subset');
      }
    }
  }
}

function setImages(objs, images) {
  for (const o of objs) {
    const spec = POD_TEMPLATE_KINDS.has(o.kind) ? o.spec?.template?.spec : o.kind === 'Pod' ? o.spec : null;
    if (!spec) continue;
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      for (const img of images) {
        const m = /^(.*?)(?::([^:/@]+))?(?:@(.+))?$/.exec(c.image);
        if (m[1] !== img.name) continue;
        let name = img.newName ?? m[1];
        if (img.digest) c.image = `${name}@${img.digest}`;
        else if (img.newTag) c.image = `${name}:${img.newTag}`;
        else c.image = `${name}${m[2] ? ':' + m[2] : ''}${m[3] ? '@' + m[3] : ''}`;
      }
    }
  }
}

function isObj(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function strategicMerge(base, patch, field = '') {
  if (isObj(base) && isObj(patch)) {
    const out = { ...base };
    for (const [k, v] of Object.entries(patch)) {
      if (k.startsWith('$')) throw new RenderError(`patch directive '${k}' is outside the subset`);
      if (v === null) delete out[k];
      else if (k in base) out[k] = strategicMerge(base[k], v, k);
      else out[k] = v;
    }
    return out;
  }
  if (Array.isArray(base) && Array.isArray(patch)) {
    let key = MERGE_KEYS[field];
    // container ports merge by containerPort, Service ports by port
    if (field === 'ports' && patch.some((x) => isObj(x) && !('containerPort' in x))) key = 'port';
    if (!key) return patch; // no merge key: the patch's list replaces the base list
    const out = base.map((x) => x);
    for (const item of patch) {
      if (!isObj(item) || item[key] === undefined) throw new RenderError(`patch list ${field}: item without ${key}`);
      const i = out.findIndex((x) => isObj(x) && x[key] === item[key]);
      if (i >= 0) out[i] = strategicMerge(out[i], item, '');
      else out.push(item);
    }
    return out;
  }
  return patch;
}

function applyPatches(objs, patches, dir, file) {
  let result = objs;
  for (const p of patches) {
    const extra = Object.keys(p).filter((k) => k !== 'path' && k !== 'patch');
    if (extra.length) throw new RenderError(`${file}: patches[].${extra[0]} is outside the subset (use path or patch)`);
    const docs = p.path ? readYamlDocs(path.join(dir, p.path)) : YAML.parseAllDocuments(p.patch, { version: '1.1' }).map((d) => d.toJS());
    for (const doc of docs) {
      const i = result.findIndex((o) => o.kind === doc.kind && o.metadata?.name === doc.metadata?.name);
      if (i < 0) throw new RenderError(`${file}: patch target ${id(doc)} not found`);
      result = result.map((o, j) => (j === i ? strategicMerge(o, doc) : o));
    }
  }
  return result;
}

export function render(dir) {
  const { file, k } = readKustomization(dir);
  let objs = [];
  for (const r of k.resources ?? []) {
    const p = path.join(dir, r);
    if (!fs.existsSync(p)) throw new RenderError(`${file}: resource ${r} does not exist`);
    const docs = fs.statSync(p).isDirectory() ? render(p) : readYamlDocs(p);
    for (const d of docs) {
      if (objs.some((o) => id(o) === id(d) && o.metadata?.namespace === d.metadata?.namespace)) {
        throw new RenderError(`${file}: ${id(d)} is defined twice`);
      }
      objs.push(structuredClone(d));
    }
  }
  if (k.namespace) {
    for (const o of objs) if (!CLUSTER_SCOPED.has(o.kind)) (o.metadata ??= {}).namespace = k.namespace;
  }
  if (k.patches) objs = applyPatches(objs, k.patches, dir, file);
  if (k.commonLabels) addLabels(objs, k.commonLabels, { includeSelectors: true, includeTemplates: true });
  for (const l of k.labels ?? []) {
    const extra = Object.keys(l).filter((x) => !['pairs', 'includeSelectors', 'includeTemplates'].includes(x));
    if (extra.length) throw new RenderError(`${file}: labels[].${extra[0]} is outside the subset`);
    addLabels(objs, l.pairs ?? {}, l);
  }
  if (k.images) setImages(objs, k.images);
  return objs;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node render.mjs <kustomization directory>');
    process.exit(2);
  }
  try {
    process.stdout.write(render(dir).map((o) => YAML.stringify(o)).join('---\n'));
  } catch (e) {
    console.error(e instanceof RenderError ? e.message : e);
    process.exit(1);
  }
}
