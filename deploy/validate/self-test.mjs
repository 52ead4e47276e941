// Proves validate.mjs fails on broken input: copies the repository's deploy files into a temporary directory,
// breaks one thing at a time (or drops in a committed broken fixture), runs the validator on the copy and expects
// a non-zero exit with the named message. The unmodified copy must pass.   node deploy/validate/self-test.mjs
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const COPY = ['docker-compose.yml', '.gitignore', 'Dockerfile', '.dockerignore', 'deploy/compose', 'deploy/grafana', 'k8s',
  ...['gateway-service', 'chat-service', 'history-service', 'auth-service'].map((m) => `${m}/src/main`)];

function fresh() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wxim-validate-'));
  for (const p of COPY) fs.cpSync(path.join(repo, p), path.join(dir, p), { recursive: true });
  return dir;
}
function edit(dir, file, from, to) {
  const f = path.join(dir, file);
  const text = fs.readFileSync(f, 'utf8');
  if (!text.includes(from)) throw new Error(`self-test is stale: '${from}' not found in ${file}`);
  fs.writeFileSync(f, text.replace(from, to));
}
const run = (dir) => spawnSync(process.execPath, [path.join(here, 'validate.mjs'), '--root', dir], { encoding: 'utf8' });

const cases = [
  ['unchanged copy passes', () => {}, null],
  ['compose: one gateway', (d) => edit(d, 'docker-compose.yml', '  gateway-2:\n    <<: *gateway\n    environment:\n      <<: *gateway-env\n      GATEWAY_NODE_ID: gw-2\n', ''),
    'needs at least two gateway services'],
  ['compose: dependency not waiting for health', (d) => edit(d, 'docker-compose.yml', 'mongo: { condition: service_healthy }', 'mongo: { condition: service_started }'),
    'must be condition: service_healthy'],
  ['compose: misspelled key (schema)', (d) => edit(d, 'docker-compose.yml', 'stop_grace_period: 40s', 'stop_grace_periood: 40s'),
    "must NOT have additional properties 'stop_grace_periood'"],
  ['compose: inline secret', (d) => edit(d, 'docker-compose.yml', 'REDIS_PASSWORD: ${REDIS_PASSWORD:?set REDIS_PASSWORD in deploy/compose/.env}', 'REDIS_PASSWORD: hunter2hunter2'),
    'REDIS_PASSWORD has an inline value'],
  ['compose: env name no service reads', (d) => edit(d, 'docker-compose.yml', 'HISTORY_URL: http://history:8082\n      AUTH_JWKS_URI', 'HISTORY_BASE_URL: http://history:8082\n      AUTH_JWKS_URI'),
    'HISTORY_BASE_URL is read by no chat-service yml placeholder'],
  ['compose: broken fixture', (d) => fs.copyFileSync(path.join(here, 'fixtures', 'broken-compose.yml'), path.join(d, 'docker-compose.yml')),
    "must NOT have additional properties 'restartt'"],
  ['k8s: gateway grace period below the drain budget', (d) => edit(d, 'k8s/base/gateway.yaml', 'terminationGracePeriodSeconds: 45', 'terminationGracePeriodSeconds: 20'),
    'terminationGracePeriodSeconds 20 < drain budget 30'],
  ['k8s: readiness probe not on the actuator group', (d) => edit(d, 'k8s/base/history.yaml', 'path: /actuator/health/readiness', 'path: /actuator/health'),
    'readinessProbe must GET /actuator/health/readiness'],
  ['k8s: misspelled field', (d) => edit(d, 'k8s/base/chat.yaml', 'readOnlyRootFilesystem: true', 'readOnlyRootFileSystem: true'),
    'readOnlyRootFileSystem: unknown field'],
  ['k8s: wrong type', (d) => edit(d, 'k8s/base/chat.yaml', 'containerPort: 8083', 'containerPort: "8083"'),
    'containerPort must be integer'],
  ['k8s: real-looking secret value', (d) => edit(d, 'k8s/secrets/wxim-secrets.template.yaml', '"<redis password>"', '"s3cr3t-Passw0rd-123"'),
    'REDIS_PASSWORD looks like a real value'],
  ['k8s: patch target does not exist', (d) => edit(d, 'k8s/overlays/local/patches.yaml', 'name: chat-service\nspec:\n  replicas: 1', 'name: chat-servic\nspec:\n  replicas: 1'),
    'patch target Deployment/chat-servic not found'],
  ['k8s: kustomization outside the subset', (d) => edit(d, 'k8s/overlays/production/kustomization.yaml', 'namespace: wxim', 'namespace: wxim\nnamePrefix: prod-'),
    "field 'namePrefix' is outside the kustomize subset"],
  ['k8s: no default deny', (d) => edit(d, 'k8s/base/networkpolicy.yaml', 'podSelector: {}\n  policyTypes: [Ingress, Egress]', 'podSelector: {}\n  policyTypes: [Ingress]'),
    'no default-deny NetworkPolicy'],
  ['k8s: broken fixture', (d) => fs.copyFileSync(path.join(here, 'fixtures', 'broken-deployment.yaml'), path.join(d, 'k8s', 'base', 'broken.yaml')),
    'imagePullPolicyy: unknown field'],
  ['Dockerfile: runs as root', (d) => edit(d, 'Dockerfile', 'USER 10001:10001', 'USER root'),
    'runtime stage must switch to a non-root numeric USER'],
  ['Dockerfile: no AOT cache at run time', (d) => edit(d, 'Dockerfile', '"-XX:AOTCache=app.aot", ', ''),
    'ENTRYPOINT must start java -XX:AOTCache=app.aot -jar app.jar'],
  ['Dockerfile: no AOT training run', (d) => edit(d, 'Dockerfile', '-XX:AOTCacheOutput=app.aot', '-Xshare:auto'),
    'runtime stage must train the AOT cache'],
  ['Dockerfile: extracted with the launcher', (d) => edit(d, 'Dockerfile', 'extract --layers --destination', 'extract --layers --destination extracted --launcher #'),
    'jar must be extracted with -Djarmode=tools extract --layers'],
  ['Dockerfile: runtime back on Java 17', (d) => edit(d, 'Dockerfile', 'FROM eclipse-temurin:25-jre\nARG SERVICE', 'FROM eclipse-temurin:17-jre\nARG SERVICE'),
    'runtime stage must be eclipse-temurin:25-jre'],
  ['grafana: metric the code does not produce', (d) => edit(d, 'deploy/grafana/wxim-dashboard.json', 'sum(im_gateway_connections', 'sum(im_gateway_conections'),
    'metric im_gateway_conections is not produced by the code'],
];
if (spawnSync('kubectl', ['version', '--client']).status === 0) {
  // render.mjs and kubectl must agree; a cluster-scoped kind render.mjs does not know gets a namespace from it only
  cases.push(['k8s: render.mjs and kubectl kustomize disagree', (d) => {
    fs.writeFileSync(path.join(d, 'k8s', 'base', 'runtimeclass.yaml'),
      'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata:\n  name: wxim-runc\nhandler: runc\n');
    edit(d, 'k8s/base/kustomization.yaml', '  - namespace.yaml\n', '  - namespace.yaml\n  - runtimeclass.yaml\n');
  }, 'rendered by kubectl kustomize but not by render.mjs']);
}

let failed = 0;
for (const [name, mutate, expected] of cases) {
  const dir = fresh();
  try {
    mutate(dir);
    const r = run(dir);
    const out = r.stdout + r.stderr;
    const ok = expected === null ? r.status === 0 : r.status !== 0 && out.includes(expected);
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}`);
    if (!ok) {
      failed++;
      console.log(`     expected ${expected === null ? 'exit 0' : `a failure naming "${expected}"`}, got exit ${r.status}:\n${out.replace(/^/gm, '     | ')}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
console.log(failed ? `self-test FAILED: ${failed} of ${cases.length}` : `self-test passed: ${cases.length} cases`);
process.exit(failed ? 1 : 0);
