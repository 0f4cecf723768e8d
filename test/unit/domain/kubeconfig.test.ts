import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { buildKubeconfig, keyPathFor, usageInstructions, type KubeconfigInput } from '../../../src/domain/kubeconfig.js';
import { TestPki } from '../../support/fakes/test-pki.js';

let pki: TestPki;
let certPem: string;
beforeAll(() => {
  pki = TestPki.create();
  certPem = pki.sign(pki.userKey().csrPem);
});
afterAll(() => pki.cleanup());

function load(i: KubeconfigInput): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(buildKubeconfig(i));
  return kc;
}

describe('buildKubeconfig', () => {
  const input = (): KubeconfigInput => ({
    clusterName: 'prod-eu',
    serverUrl: 'https://k8s.example.com:6443',
    caPem: pki.caPem,
    username: 'jane',
    certificatePem: certPem,
    keyPathTemplate: '~/.kube/{user}.key',
  });

  it('parses with @kubernetes/client-node and round-trips server, CA, certificate and key path', () => {
    const kc = load(input());
    expect(kc.getCurrentContext()).toBe('jane@prod-eu');
    const cluster = kc.getCurrentCluster()!;
    expect(cluster).toMatchObject({ name: 'prod-eu', server: 'https://k8s.example.com:6443' });
    expect(Buffer.from(cluster.caData!, 'base64').toString()).toBe(pki.caPem);
    const user = kc.getCurrentUser()!;
    expect(user).toMatchObject({ name: 'jane', keyFile: '~/.kube/jane.key' });
    expect(Buffer.from(user.certData!, 'base64').toString()).toBe(certPem);
    expect(user.keyData).toBeUndefined();
    expect(buildKubeconfig(input())).not.toContain('PRIVATE KEY');
  });

  it('leaves out the CA when the server has a public certificate', () => {
    const kc = load({ ...input(), caPem: undefined });
    expect(kc.getCurrentCluster()?.caData).toBeUndefined();
    expect(kc.getCurrentCluster()?.server).toBe('https://k8s.example.com:6443');
  });

  it('quotes names YAML would otherwise misread (emails, colons, Korean, yes/no, #)', () => {
    for (const username of ['jane@example.com', 'system:x:jane', '김지민', 'no', 'a # b', '"quoted"', "it's"]) {
      const kc = load({ ...input(), username, clusterName: 'on: off', keyPathTemplate: '/home/{user}/.kube/{user}.key' });
      expect(kc.getCurrentUser()).toMatchObject({ name: username, keyFile: `/home/${username}/.kube/${username}.key` });
      expect(kc.getCurrentCluster()?.name).toBe('on: off');
      expect(kc.getCurrentContext()).toBe(`${username}@on: off`);
    }
  });
});

describe('keyPathFor / usageInstructions', () => {
  it('replaces every {user}', () => {
    expect(keyPathFor('~/.kube/{user}/{user}.key', 'jane')).toBe('~/.kube/jane/jane.key');
    expect(keyPathFor('/keys/client.key', 'jane')).toBe('/keys/client.key');
  });
  it('tells the user where the key must be and how to try it', () => {
    const text = usageInstructions({
      username: 'jane',
      keyPath: '~/.kube/jane.key',
      kubeconfigFilename: 'jane-prod.kubeconfig',
      notAfter: '2030-01-02T00:00:00.000Z',
    });
    expect(text).toContain('~/.kube/jane.key');
    expect(text).toContain('kubectl --kubeconfig jane-prod.kubeconfig auth whoami');
    expect(text).toContain('2030-01-02T00:00:00.000Z');
  });
});
