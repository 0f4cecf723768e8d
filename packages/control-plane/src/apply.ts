import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KubeConfig, KubernetesObjectApi, loadAllYaml, loadYaml } from '@kubernetes/client-node';
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

/** Keys a kustomization may have for its files to mean, applied one by one, what `kubectl apply -k` means. */
const PLAIN_KEYS = new Set(['apiVersion', 'kind', 'resources']);

/**
 * The files a kustomization lists, in order, for a kustomization that only
 * lists files (deploy/rbac). Refuses anything that would transform them, so
 * applying the files cannot silently differ from `kubectl apply -k`.
 */
export function kustomizationFiles(dir: string): string[] {
  const file = path.join(dir, 'kustomization.yaml');
  const k = loadYaml(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const extra = Object.keys(k).filter((key) => !PLAIN_KEYS.has(key));
  if (extra.length > 0)
    throw new Error(`${file}: the test harness applies its files without kustomize, so it may only list resources (found ${extra.join(', ')})`);
  const resources = k.resources;
  if (!Array.isArray(resources) || !resources.every((r): r is string => typeof r === 'string' && /\.ya?ml$/.test(r))) {
    throw new Error(`${file}: resources must be a list of .yaml files in that directory`);
  }
  return resources.map((r) => path.join(dir, r));
}

/** `kubectl apply -k` for a kustomization of plain files (see kustomizationFiles), without kubectl. */
export async function applyKustomizationFiles(kubeconfigFile: string, dir: string): Promise<void> {
  for (const f of kustomizationFiles(dir)) await applyManifest(kubeconfigFile, f);
}
