// deploy/ as Kubernetes itself sees it: every kustomization builds, and the
// test control plane's API server accepts every object in a server-side dry
// run with strict field validation and Pod Security admission (the namespace
// asks for warnings on anything below "restricted"). Then the checks a
// reviewer would make: no User subject, a hardened pod, references that
// resolve, and the two modes differing only where they should.
import { beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyManifest, kubeconfigPaths, repoRoot } from '@csrbot/control-plane';
import { kubectlOk, kustomize, serverDryRun, type K8sObject } from './kubectl.js';

const deploy = (p = '') => path.join(repoRoot, 'deploy', p);
const NAMESPACE = 'csrbot';
const OPS_PORT = 9090;

type Mode = 'socket' | 'http' | 'none';
const TARGETS: Array<{ dir: string; mode: Mode | 'rbac' }> = [
  { dir: '', mode: 'socket' },
  { dir: 'overlays/socket-mode', mode: 'socket' },
  { dir: 'overlays/http-mode', mode: 'http' },
  { dir: 'base', mode: 'none' },
  { dir: 'rbac', mode: 'rbac' },
];

interface Container {
  name: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  securityContext?: Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes?: Array<{ name: string; emptyDir?: unknown }>;
  topologySpreadConstraints?: Array<{ topologyKey: string; labelSelector?: { matchLabels?: Record<string, string> } }>;
}
interface DeploymentSpec {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}

const only = (objects: K8sObject[], kind: string): K8sObject[] => objects.filter((o) => o.kind === kind);
function one(objects: K8sObject[], kind: string): K8sObject {
  const found = only(objects, kind);
  expect(found.map((o) => `${o.kind}/${o.metadata.name}`)).toHaveLength(1);
  return found[0]!;
}
const deploymentOf = (objects: K8sObject[]) => one(objects, 'Deployment').spec as DeploymentSpec;
const containerOf = (objects: K8sObject[]) => deploymentOf(objects).template.spec.containers[0]!;
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

let admin: string;
beforeAll(() => {
  admin = kubeconfigPaths().admin;
  // kubectl and its kustomize are part of the check, not optional: a missing one fails with how to get it.
  kubectlOk(['version', '--client', '-o', 'json']);
  // A server dry run creates nothing, not even the Namespace the namespaced
  // objects go in: it has to exist for real first (with its Pod Security labels).
  return applyManifest(admin, deploy('rbac/namespace.yaml'));
});

describe('deploy/: every kustomization, validated by the API server', () => {
  it.each(TARGETS)('kubectl apply -k deploy/$dir --dry-run=server: accepted, every field known, no warning', ({ dir }) => {
    const built = kustomize(deploy(dir));
    const { objects, warnings, result } = serverDryRun(deploy(dir), admin);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(warnings).toEqual([]);
    // The server answered for each object kustomize built, in the namespace we ship to.
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(built.map((o) => `${o.kind}/${o.metadata.name}`).sort());
    for (const o of objects.filter((o) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind))) {
      expect(`${o.kind}/${o.metadata.name} in ${o.metadata.namespace}`).toBe(`${o.kind}/${o.metadata.name} in ${NAMESPACE}`);
    }
  });

  it('the checks are live: a pod template below "restricted" draws a Pod Security warning, an unknown field an error', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'csrbot-kustomize-'));
    const base = path.relative(dir, deploy('base'));
    const variant = (patch: string) => {
      writeFileSync(
        path.join(dir, 'kustomization.yaml'),
        `resources: [${base}]\npatches:\n  - target: {kind: Deployment, name: csrbot}\n    patch: |-\n${patch.replace(/^/gm, '      ')}\n`,
      );
      return serverDryRun(dir, admin);
    };
    const weak = variant('- op: remove\n  path: /spec/template/spec/containers/0/securityContext/capabilities');
    expect(weak.result.status).toBe(0);
    expect(weak.warnings.join('\n')).toMatch(/would violate PodSecurity "restricted:latest".*capabilities/);
    const typo = variant('- op: add\n  path: /spec/template/spec/containers/0/securityContext/readOnlyRootFilesytem\n  value: true');
    expect(typo.result.status).not.toBe(0);
    expect(typo.result.stderr).toContain('readOnlyRootFilesytem: field not declared in schema');
  });

  it('kubectl apply -k deploy/ is the Socket Mode overlay', () => {
    expect(kustomize(deploy())).toEqual(kustomize(deploy('overlays/socket-mode')));
  });
});

describe('deploy/: what the objects say', () => {
  const dryRun = (dir: string) => {
    const { objects, result } = serverDryRun(deploy(dir), admin);
    expect(result.status).toBe(0);
    return objects;
  };

  it('no binding anywhere in deploy/ names a User or a Group: only the csrbot ServiceAccount', () => {
    const kustomizations = (dir: string): string[] =>
      readdirSync(dir).flatMap((e) => {
        const p = path.join(dir, e);
        return statSync(p).isDirectory() ? kustomizations(p) : e === 'kustomization.yaml' ? [dir] : [];
      });
    const dirs = kustomizations(deploy());
    expect(dirs.length).toBeGreaterThanOrEqual(TARGETS.length);
    for (const dir of dirs) {
      for (const b of kustomize(dir).filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
        expect({ where: path.relative(repoRoot, dir), binding: b.metadata.name, subjects: b.subjects }).toEqual({
          where: path.relative(repoRoot, dir),
          binding: b.metadata.name,
          subjects: [{ kind: 'ServiceAccount', name: 'csrbot', namespace: NAMESPACE }],
        });
      }
    }
  });

  it('the pod is hardened: non-root numeric UID, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp', () => {
    const objects = dryRun('');
    const d = deploymentOf(objects);
    const pod = d.template.spec;
    const c = containerOf(objects);
    expect(d.replicas).toBe(2);
    expect(pod.serviceAccountName).toBe('csrbot');
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.securityContext?.capabilities).not.toHaveProperty('add');
    // The only writable path: an emptyDir at /tmp.
    const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
    expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    expect(c.resources?.requests).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
    expect(c.resources?.limits).toEqual(expect.objectContaining({ memory: expect.any(String) }));
    // Spread over nodes and zones, counting csrbot's own pods.
    expect(pod.topologySpreadConstraints?.map((t) => t.topologyKey)).toEqual(['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
    for (const t of pod.topologySpreadConstraints ?? []) expect(matches(t.labelSelector?.matchLabels ?? {}, d.template.metadata.labels)).toBe(true);
  });

  it.each(['', 'overlays/http-mode'])('deploy/%s: probes, ports, selectors and settings point at things that exist', (dir) => {
    const objects = dryRun(dir);
    const d = deploymentOf(objects);
    const c = containerOf(objects);
    const podLabels = d.template.metadata.labels;
    const portNames = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));

    // Probes on the ops port, which the ConfigMap's OPS_PORT opens.
    expect(portNames.get('ops')).toBe(OPS_PORT);
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'ops', scheme: 'HTTP' });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'ops', scheme: 'HTTP' });
    expect(c.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'ops', scheme: 'HTTP' });
    const configMaps = only(objects, 'ConfigMap');
    const refs = (c.envFrom ?? []).map((e) => e.configMapRef?.name);
    expect(refs).toEqual([configMaps[0]?.metadata.name]);
    const settings = configMaps[0]!.data as Record<string, string>;
    expect(settings.OPS_PORT).toBe(String(OPS_PORT));

    // Every selector selects the pods.
    expect(matches(d.selector.matchLabels, podLabels)).toBe(true);
    for (const kind of ['PodDisruptionBudget', 'NetworkPolicy']) {
      const spec = one(objects, kind).spec as { selector?: { matchLabels: Record<string, string> }; podSelector?: { matchLabels: Record<string, string> } };
      expect(matches((spec.selector ?? spec.podSelector)!.matchLabels, podLabels)).toBe(true);
    }
    // docs/operations.md's Cilium example removes /spec/egress/1: it must be the open 443/6443 rule.
    const egress = (one(objects, 'NetworkPolicy').spec as { egress: Array<{ to?: unknown; ports: Array<{ port: number }> }> }).egress;
    expect(egress[1]).toEqual({ ports: [expect.objectContaining({ port: 443 }), expect.objectContaining({ port: 6443 })] });
    // Named ports the NetworkPolicy opens exist on the container.
    const np = one(objects, 'NetworkPolicy').spec as { ingress: Array<{ ports: Array<{ port: string | number }> }> };
    for (const r of np.ingress) for (const p of r.ports) if (typeof p.port === 'string') expect(portNames.has(p.port)).toBe(true);

    // Secrets are referenced, never shipped.
    expect(only(objects, 'Secret')).toEqual([]);
    const secretRefs = (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : []));
    expect(secretRefs.find((r) => r.key === 'SLACK_BOT_TOKEN')).toEqual({ name: 'csrbot-slack', key: 'SLACK_BOT_TOKEN' });
    expect(c.env?.every((e) => e.value === undefined || !/^xox|^xapp/.test(e.value))).toBe(true);
  });

  it('Socket Mode takes no inbound traffic; HTTP mode adds the signing secret, port 3000 and a Service for it alone', () => {
    const socket = dryRun('');
    const http = dryRun('overlays/http-mode');
    const envNames = (objects: K8sObject[]) => (containerOf(objects).env ?? []).map((e) => e.name);
    const ingressPorts = (objects: K8sObject[]) =>
      (one(objects, 'NetworkPolicy').spec as { ingress: Array<{ ports: Array<{ port: string | number }> }> }).ingress.flatMap((r) =>
        r.ports.map((p) => p.port),
      );

    expect(envNames(socket)).toContain('SLACK_APP_TOKEN');
    expect(envNames(socket)).not.toContain('SLACK_SIGNING_SECRET');
    expect(only(socket, 'Service')).toEqual([]);
    expect(ingressPorts(socket)).toEqual(['ops']);

    // HTTP mode: an app token would switch csrbot to Socket Mode, so it must not be there.
    expect(envNames(http)).toContain('SLACK_SIGNING_SECRET');
    expect(envNames(http)).not.toContain('SLACK_APP_TOKEN');
    expect((only(http, 'ConfigMap')[0]!.data as Record<string, string>).PORT).toBe('3000');
    expect(containerOf(http).ports?.find((p) => p.name === 'http')?.containerPort).toBe(3000);
    expect(ingressPorts(http).sort()).toEqual(['http', 'ops']);
    const svc = one(http, 'Service').spec as { selector: Record<string, string>; ports: Array<{ port: number; targetPort: string | number }> };
    expect(svc.ports.map((p) => p.targetPort)).toEqual(['http']);
    expect(matches(svc.selector, deploymentOf(http).template.metadata.labels)).toBe(true);
  });
});
