/**
 * The kubeconfig handed to a user with their certificate. The private key is
 * never in it: `client-key` points at the file the user already has.
 */
export interface KubeconfigInput {
  clusterName: string;
  serverUrl: string;
  /** PEM of the cluster CA, embedded; omitted when the server has a publicly trusted certificate. */
  caPem?: string;
  username: string;
  certificatePem: string;
  /** e.g. ~/.kube/jane.key; `{user}` is replaced by the username. */
  keyPathTemplate: string;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
/** YAML double-quoted scalar; JSON strings are valid YAML. */
const q = (s: string) => JSON.stringify(s);

export function keyPathFor(template: string, username: string): string {
  return template.split('{user}').join(username);
}

export function buildKubeconfig(i: KubeconfigInput): string {
  const context = `${i.username}@${i.clusterName}`;
  const lines = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${q(i.clusterName)}`,
    '  cluster:',
    `    server: ${q(i.serverUrl)}`,
    ...(i.caPem ? [`    certificate-authority-data: ${b64(i.caPem)}`] : []),
    'users:',
    `- name: ${q(i.username)}`,
    '  user:',
    `    client-certificate-data: ${b64(i.certificatePem)}`,
    `    client-key: ${q(keyPathFor(i.keyPathTemplate, i.username))}`,
    'contexts:',
    `- name: ${q(context)}`,
    '  context:',
    `    cluster: ${q(i.clusterName)}`,
    `    user: ${q(i.username)}`,
    `current-context: ${q(context)}`,
    '',
  ];
  return lines.join('\n');
}

/** The few lines that go with the files. */
export function usageInstructions(i: { username: string; keyPath: string; kubeconfigFilename: string; notAfter: string }): string {
  return [
    `Your certificate for *${i.username}* is ready (valid until ${i.notAfter}).`,
    `1. Save \`${i.kubeconfigFilename}\` and make sure your private key is at \`${i.keyPath}\` (the key you made the CSR with; it never left your machine).`,
    `2. Try it: \`kubectl --kubeconfig ${i.kubeconfigFilename} auth whoami\``,
    `3. Or merge it: \`KUBECONFIG=~/.kube/config:${i.kubeconfigFilename} kubectl config view --flatten > /tmp/merged && mv /tmp/merged ~/.kube/config\``,
  ].join('\n');
}
