// The Kubernetes half of the start-up checks against the real API server:
// who csrbot is, what RBAC lets it do, and a CA that does not match. Each
// refusal is the real `src/main.ts` process: exit 2, the setting and the fix.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { main as cli } from '../../../src/cli/main.js';
import { expectRefusal, runBot, tokenKubeconfig, writeKubeconfig } from '../../support/bot-process.js';
import { adminKubeConfig, clusterState, kubeconfigPaths, makePki, freePort } from '@csrbot/control-plane';
import { redisUrlForTests, uniquePrefix } from '../../support/redis.js';
import { SlackEmulator } from '@csrbot/slack-emulator';

const suffix = randomBytes(3).toString('hex');
const namespace = `preflight-${suffix}`;
const partialRole = `csrbot-preflight-partial-${suffix}`;

let emu: SlackEmulator;
let redisUrl: string;
const core = () => adminKubeConfig().makeApiClient(CoreV1Api);
const rbac = () => adminKubeConfig().makeApiClient(RbacAuthorizationV1Api);

/** A ServiceAccount in `namespace` and a kubeconfig with a token for it (TokenRequest), for identities deploy/rbac does not bind. */
async function serviceAccountKubeconfig(name: string): Promise<string> {
  await core().createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  const token = await core().createNamespacedServiceAccountToken({ name, namespace, body: { spec: { expirationSeconds: 3600, audiences: [] } } });
  const s = clusterState();
  const bearer = token.status?.token;
  if (!bearer) throw new Error(`no token for ServiceAccount ${namespace}/${name}`);
  return writeKubeconfig(tokenKubeconfig({ server: s.server, token: bearer, caPem: readFileSync(s.serverCaFile, 'utf8') }));
}

async function envWith(kubeconfig: string): Promise<Record<string, string>> {
  return {
    SLACK_BOT_TOKEN: emu.botToken,
    SLACK_APP_TOKEN: emu.appToken,
    SLACK_API_URL: emu.apiUrl,
    SLACK_ADMIN_CHANNEL: emu.adminChannelId,
    SLACK_ADMIN_USERS: 'U0ADMIN',
    KUBECONFIG: kubeconfig,
    REDIS_URL: redisUrl,
    REDIS_PREFIX: uniquePrefix('preflight-k8s'),
    OPS_PORT: String(await freePort()),
  };
}

beforeAll(async () => {
  emu = await SlackEmulator.start();
  redisUrl = await redisUrlForTests();
  await core().createNamespace({ body: { metadata: { name: namespace } } });
  // Everything csrbot needs except approving: what a hand-written role often misses.
  await rbac().createClusterRole({
    body: {
      metadata: { name: partialRole },
      rules: [{ apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], verbs: ['create', 'get', 'list', 'watch'] }],
    },
  });
  await rbac().createClusterRoleBinding({
    body: {
      metadata: { name: partialRole },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: partialRole },
      subjects: [{ kind: 'ServiceAccount', name: 'partial', namespace }],
    },
  });
}, 60_000);

afterAll(async () => {
  await rbac()
    .deleteClusterRoleBinding({ name: partialRole })
    .catch(() => undefined);
  await rbac()
    .deleteClusterRole({ name: partialRole })
    .catch(() => undefined);
  await core()
    .deleteNamespace({ name: namespace })
    .catch(() => undefined);
  await emu.stop();
});

describe('the Kubernetes start-up checks', () => {
  it('pass for the identity deploy/rbac binds: csrbot doctor exits 0 and says who csrbot is', async () => {
    let out = '';
    const code = await cli(['doctor', '--env-file', '/nonexistent/.env'], {
      readFile: () => new Uint8Array(),
      out: (t) => void (out += `${t}\n`),
      err: (t) => void (out += `${t}\n`),
      env: await envWith(kubeconfigPaths().csrbot),
    });
    expect(out).toMatch(/^kubernetes-identity\s+ok\s+csrbot is "csrbot" \(groups: system:authenticated\)/m);
    expect(out).toMatch(/^kubernetes-permissions\s+ok\s+has all 9 permissions csrbot uses: create certificatesigningrequests/m);
    expect(out.replace(/\s+/g, ' ')).toContain('update certificatesigningrequests/approval, approve signers/kubernetes.io/kube-apiserver-client');
    expect(out).not.toMatch(/\s(FAIL|WARN)\s/);
    expect(code).toBe(0);
  });

  it('refuse an identity missing a verb, naming the verbs and the binding that fixes it', async () => {
    const user = `system:serviceaccount:${namespace}:partial`;
    const stderr = expectRefusal(await runBot(await envWith(await serviceAccountKubeconfig('partial'))));
    expect(stderr).toContain(
      `kubernetes-permissions: csrbot's Kubernetes identity "${user}" may not: update certificatesigningrequests/approval, approve signers/kubernetes.io/kube-apiserver-client, list rolebindings, list clusterrolebindings, create subjectaccessreviews.`,
    );
    expect(stderr).toContain(`kubectl apply -k deploy/rbac`);
    expect(stderr).toContain(`kubectl create clusterrolebinding csrbot-partial --clusterrole=csrbot --serviceaccount=${namespace}:partial`);
  });

  it('refuse an identity with no role at all, listing every permission', async () => {
    const stderr = expectRefusal(await runBot(await envWith(await serviceAccountKubeconfig('nobody'))));
    expect(stderr).toContain(
      'may not: create certificatesigningrequests, get certificatesigningrequests, list certificatesigningrequests, watch certificatesigningrequests, update certificatesigningrequests/approval, approve signers/kubernetes.io/kube-apiserver-client, list rolebindings, list clusterrolebindings, create subjectaccessreviews.',
    );
  });

  it('refuse credentials the API server does not accept (401)', async () => {
    const s = clusterState();
    const kubeconfig = writeKubeconfig(tokenKubeconfig({ server: s.server, token: 'not-a-valid-token', caPem: readFileSync(s.serverCaFile, 'utf8') }));
    const stderr = expectRefusal(await runBot(await envWith(kubeconfig)));
    expect(stderr).toContain('kubernetes-identity: The Kubernetes API at');
    expect(stderr).toContain("did not accept csrbot's credentials");
    expect(stderr).not.toContain('not-a-valid-token');
  });

  it('refuse a kubeconfig whose CA did not sign the API server certificate, as a TLS problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'csrbot-other-ca-'));
    try {
      const other = makePki(dir);
      const s = clusterState();
      const kubeconfig = writeKubeconfig(tokenKubeconfig({ server: s.server, token: 'whatever', caPem: readFileSync(other.caCert, 'utf8') }));
      const stderr = expectRefusal(await runBot(await envWith(kubeconfig)));
      expect(stderr).toContain("kubernetes-identity: The API server's certificate is not trusted by the CA in KUBECONFIG (UNABLE_TO_VERIFY_LEAF_SIGNATURE");
      expect(stderr).toContain(`(server ${s.server})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
