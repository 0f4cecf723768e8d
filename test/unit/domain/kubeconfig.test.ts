import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import {
  DEFAULT_KEY_PATH_TEMPLATE,
  buildKubeconfig,
  deliveryFileNames,
  keyPathFor,
  keyPathTemplateProblem,
  usageInstructions,
  type KubeconfigInput,
} from '../../../src/domain/kubeconfig.js';
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

const input = (): KubeconfigInput => ({
  clusterName: 'prod-eu',
  serverUrl: 'https://k8s.example.com:6443',
  caPem: pki.caPem,
  username: 'jane',
  certificatePem: certPem,
  keyPathTemplate: '~/.kube/{user}.key',
});

describe('buildKubeconfig', () => {
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
      expect(kc.getCurrentUser()?.name).toBe(username);
      expect(kc.getCurrentUser()?.keyFile).toMatch(/^\/home\/[^/]+\/\.kube\/[^/]+\.key$/);
      expect(kc.getCurrentCluster()?.name).toBe('on: off');
      expect(kc.getCurrentContext()).toBe(`${username}@on: off`);
    }
  });
});

describe('keyPathFor / usageInstructions', () => {
  it('replaces every {user} with a file-safe name that cannot climb out of its folder', () => {
    expect(keyPathFor('keys/{user}/{user}.key', 'jane')).toBe('keys/jane/jane.key');
    expect(keyPathFor('/keys/client.key', 'jane')).toBe('/keys/client.key');
    expect(keyPathFor('{user}.key', '../../etc/passwd')).toBe('user.._.._etc_passwd.key');
    expect(keyPathFor('{user}.key', 'jane@example.com')).toBe('jane@example.com.key');
  });

  it('by default points at the key next to the kubeconfig, by a relative path', () => {
    expect(DEFAULT_KEY_PATH_TEMPLATE).toBe('{user}.key');
    const kc = load({ ...input(), keyPathTemplate: DEFAULT_KEY_PATH_TEMPLATE });
    expect(kc.getCurrentUser()?.keyFile).toBe('jane.key');
  });

  it('names the files safely for every OS and shell', () => {
    expect(deliveryFileNames('jane', 'prod-eu')).toEqual({ kubeconfig: 'jane-prod-eu.kubeconfig', certificate: 'jane.crt' });
    expect(deliveryFileNames('a b', 'on: off')).toEqual({ kubeconfig: 'a_b-on__off.kubeconfig', certificate: 'a_b.crt' });
  });

  it('gives exact steps: where each file goes, one command to try it, and how to merge', () => {
    const text = usageInstructions({ username: 'jane', clusterName: 'prod', keyPathTemplate: DEFAULT_KEY_PATH_TEMPLATE, notAfter: '2030-01-02T00:00:00.000Z' });
    expect(text).toContain('2030-01-02T00:00:00.000Z');
    expect(text).toContain('mv ~/Downloads/jane-prod.kubeconfig $HOME/.kube/csrbot/');
    expect(text).toContain('cp jane.key "$HOME/.kube/csrbot/jane.key"');
    expect(text).toContain('`kubectl --kubeconfig $HOME/.kube/csrbot/jane-prod.kubeconfig auth whoami`');
    expect(text).toContain('export KUBECONFIG="$HOME/.kube/config:$HOME/.kube/csrbot/jane-prod.kubeconfig"');
    // The new file first, so a renewal replaces the old entry rather than losing to it.
    expect(text).toContain('KUBECONFIG="$HOME/.kube/csrbot/jane-prod.kubeconfig:$HOME/.kube/config" kubectl config view --flatten');
    expect(text).toContain('--context jane@prod');
    expect(text).not.toContain('~/.kube/jane.key');
  });

  it('with an absolute template, tells the user to put the key exactly there', () => {
    const text = usageInstructions({ username: 'jane', clusterName: 'prod', keyPathTemplate: '/home/{user}/keys/{user}.key', notAfter: 'x' });
    expect(text).toContain('`/home/jane/keys/jane.key`');
    expect(text).toContain('mkdir -p $HOME/.kube/csrbot "/home/jane/keys"');
    expect(text).toContain('cp jane.key "/home/jane/keys/jane.key"');
  });
});

describe('keyPathTemplateProblem: templates client-go cannot read are refused with the fix', () => {
  it.each(['{user}.key', 'keys/{user}.key', '/home/{user}/.kube/{user}.key', '/etc/keys/client.key', 'C:\\keys\\{user}.key'])('accepts %s', (t) => {
    expect(keyPathTemplateProblem(t)).toBeUndefined();
  });
  it.each([
    ['~/.kube/{user}.key', 'starts with ~'],
    ['~jane/{user}.key', 'starts with ~'],
    ['$HOME/.kube/{user}.key', 'environment variable'],
    ['${HOME}/{user}.key', 'environment variable'],
    ['%USERPROFILE%\\{user}.key', 'environment variable'],
    ['/keys/{username}.key', 'unknown placeholder {username}'],
    ['/keys/{user.key', 'unmatched'],
    ['  ', 'empty'],
  ])('refuses %s (%s)', (t, why) => {
    const problem = keyPathTemplateProblem(t);
    expect(problem).toContain(why);
    expect(problem).toContain('{user}.key');
  });
});
