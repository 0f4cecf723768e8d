// Failures that are not the API server saying no: nothing listening, or a
// server that never answers.
import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesCsrApi } from '../../../src/adapters/kubernetes/index.js';
import { unreachableKubeConfig } from '@csrbot/control-plane';

describe('transport failures', () => {
  it('connection refused is CLUSTER_UNREACHABLE naming the server', async () => {
    const err = await KubernetesCsrApi.create(unreachableKubeConfig())
      .get('anything')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CLUSTER_UNREACHABLE', details: expect.objectContaining({ server: 'https://127.0.0.1:2', reason: 'ECONNREFUSED' }) });
  });

  it('a server that accepts but never answers is CLUSTER_TIMEOUT after requestTimeoutMs', async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'hang', server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'hang', cluster: 'hang', user: 'u' }],
      currentContext: 'hang',
    });
    try {
      const started = Date.now();
      const err = await KubernetesCsrApi.create(kc, { requestTimeoutMs: 500 })
        .get('anything')
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'CLUSTER_TIMEOUT', details: expect.objectContaining({ operation: 'get' }) });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise((r) => server.close(r));
    }
  });
});
