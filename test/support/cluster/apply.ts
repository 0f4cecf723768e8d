import { readFileSync } from 'node:fs';
import { KubeConfig, KubernetesObjectApi, loadAllYaml } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';

const isAlreadyExists = (e: unknown): boolean => (e as { code?: number }).code === 409;

/** `kubectl apply` for a small manifest, without needing kubectl: create, or replace what exists. */
export async function applyManifest(kubeconfigFile: string, manifestFile: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigFile);
  const api = KubernetesObjectApi.makeApiClient(kc);
  const docs = (loadAllYaml(readFileSync(manifestFile, 'utf8')) as KubernetesObject[]).filter((d) => d?.kind);
  for (const obj of docs) {
    try {
      await api.create(obj);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const current = await api.read({
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        metadata: { name: obj.metadata?.name ?? '', namespace: obj.metadata?.namespace },
      } as Parameters<typeof api.read>[0]);
      await api.replace({ ...obj, metadata: { ...obj.metadata, resourceVersion: current.metadata?.resourceVersion } });
    }
  }
}
