import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { goModuleDir } from './paths.js';

export const goInstallHint =
  'Go >= 1.26 is needed to build the test control plane (kube-apiserver, kube-controller-manager, etcd). ' +
  'Install it from https://go.dev/dl/: curl -fsSL https://go.dev/dl/go1.26.0.linux-amd64.tar.gz | sudo tar -C /usr/local -xz ' +
  '&& export PATH=/usr/local/go/bin:$PATH. Or set KUBECONFIG_TEST to the kubeconfig of a disposable cluster (kind, ...) to use it instead.';

function findGo(): string | undefined {
  const r = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (r.status === 0) return 'go';
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined;
}

/**
 * Builds the control plane binaries unless the cache already holds them for
 * the committed pins, and returns their directory. Build logs go to stderr so a
 * first run shows progress instead of looking hung.
 */
export async function ensureBinaries(): Promise<string> {
  if (process.env.CLUSTER_BIN_DIR) return process.env.CLUSTER_BIN_DIR;
  if (!findGo()) throw new Error(goInstallHint);
  const script = path.join(goModuleDir, 'build.sh');
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(out.trim().split('\n').pop() ?? '');
      else if (code === 3) reject(new Error(goInstallHint));
      else reject(new Error(`building the control plane failed (${script} exited ${code}); see the go output above`));
    });
  });
}
