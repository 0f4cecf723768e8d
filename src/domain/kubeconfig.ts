import { fileBase } from './csr/openssl-commands.js';

/**
 * The kubeconfig handed to a user with their certificate. The private key is
 * never in it: `client-key` points at the file the user already has.
 *
 * By default that path is relative (`jane.key`): client-go resolves a
 * relative path against the folder of the kubeconfig file that names it, on
 * every OS, so "keep the two files in one folder" is the whole instruction.
 * client-go expands neither `~` nor environment variables, so a template
 * with either can never work and is refused at start-up.
 */
export interface KubeconfigInput {
  clusterName: string;
  serverUrl: string;
  /** PEM of the cluster CA, embedded; omitted when the server has a publicly trusted certificate. */
  caPem?: string;
  username: string;
  certificatePem: string;
  /** Where the key is, relative to the kubeconfig or absolute; `{user}` becomes the user's key file base name. */
  keyPathTemplate: string;
}

/** The default KEY_PATH_TEMPLATE: the key sits next to the kubeconfig. */
export const DEFAULT_KEY_PATH_TEMPLATE = '{user}.key';
const PLACEHOLDER = '{user}';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
/** YAML double-quoted scalar; JSON strings are valid YAML. */
const q = (s: string) => JSON.stringify(s);

const isAbsolute = (p: string) => p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');

/**
 * Why client-go could not read a key at this KEY_PATH_TEMPLATE, with the fix; undefined when it can.
 * Checked once at start-up so a broken template never reaches a user.
 */
export function keyPathTemplateProblem(template: string): string | undefined {
  const fix = `Use a path relative to the kubeconfig (the default, ${DEFAULT_KEY_PATH_TEMPLATE}: the key sits next to the kubeconfig) or an absolute path such as /home/{user}/.kube/{user}.key.`;
  if (template.trim() === '') return `it is empty. ${fix}`;
  if (template.startsWith('~'))
    return `"${template}" starts with ~, which kubectl and client-go do not expand: they would look for a folder literally named "~". ${fix}`;
  if (/\$\{?[A-Za-z_]|%[A-Za-z_][A-Za-z0-9_]*%/.test(template))
    return `"${template}" uses an environment variable, which kubectl and client-go do not expand. ${fix}`;
  const unknown = (template.match(/\{[^}]*\}/g) ?? []).filter((p) => p !== PLACEHOLDER);
  if (unknown.length > 0) return `"${template}" has an unknown placeholder ${unknown.join(', ')}; the only one is ${PLACEHOLDER} (the user's name). ${fix}`;
  if (/[{}]/.test(template.split(PLACEHOLDER).join(''))) return `"${template}" has an unmatched { or }. ${fix}`;
  return undefined;
}

/** The key path written into the kubeconfig. The username is made file-safe, so no name can climb out of a folder. */
export function keyPathFor(template: string, username: string): string {
  return template.split(PLACEHOLDER).join(fileBase(username));
}

/** Names of the files a user receives or keeps; safe on every OS and in a shell command. */
export function deliveryFileNames(username: string, clusterName: string): { kubeconfig: string; certificate: string } {
  const user = fileBase(username);
  return { kubeconfig: `${user}-${fileBase(clusterName)}.kubeconfig`, certificate: `${user}.crt` };
}

export function contextName(username: string, clusterName: string): string {
  return `${username}@${clusterName}`;
}

export function buildKubeconfig(i: KubeconfigInput): string {
  const context = contextName(i.username, i.clusterName);
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

/** The folder the instructions suggest for the kubeconfig (and, by default, the key). */
export const SUGGESTED_DIR = '$HOME/.kube/csrbot';

/** Single-quotes a shell word when it needs it (a context name with spaces, say). */
const sh = (s: string) => (/^[\p{L}\p{N}@%+=:,./_-]+$/u.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * The message that goes with the files: exact, copy-pasteable steps for a
 * POSIX shell (macOS, Linux, WSL), and the one difference on Windows. The
 * e2e test runs these lines as written.
 */
export function usageInstructions(i: { username: string; clusterName: string; keyPathTemplate: string; notAfter: string }): string {
  const files = deliveryFileNames(i.username, i.clusterName);
  const keyFile = `${fileBase(i.username)}.key`;
  const keyPath = keyPathFor(i.keyPathTemplate, i.username);
  const kc = `${SUGGESTED_DIR}/${files.kubeconfig}`;
  const relative = !isAbsolute(keyPath);
  const keyTarget = relative ? `${SUGGESTED_DIR}/${keyPath}` : keyPath;
  const keyDir = keyTarget.includes('/') ? keyTarget.slice(0, keyTarget.lastIndexOf('/')) : SUGGESTED_DIR;
  const setup = [
    `mkdir -p ${SUGGESTED_DIR}${keyDir && keyDir !== SUGGESTED_DIR ? ` "${keyDir}"` : ''}`,
    `mv ~/Downloads/${files.kubeconfig} ${SUGGESTED_DIR}/`,
    `cp ${keyFile} "${keyTarget}" && chmod 600 "${keyTarget}"`,
  ];
  const where = relative
    ? `The kubeconfig reads your private key from \`${keyPath}\` *next to itself*, so keep the two files in one folder.`
    : `The kubeconfig reads your private key from \`${keyPath}\`, so the key must be there.`;
  return [
    `Your certificate for *${i.username}* is ready (valid until ${i.notAfter}).`,
    `${where} Run this in the folder where you made your key with openssl (Slack saves \`${files.kubeconfig}\` to ~/Downloads by default):`,
    '```',
    ...setup,
    '```',
    `Try it: \`kubectl --kubeconfig ${kc} auth whoami\``,
    `Use it next to your other clusters (add the line to your shell profile), then pick it with \`--context ${sh(contextName(i.username, i.clusterName))}\`:`,
    '```',
    `export KUBECONFIG="$HOME/.kube/config:${kc}"`,
    '```',
    'Or merge it into ~/.kube/config (this copies your key into that file, and makes it the current context):',
    '```',
    `KUBECONFIG="${kc}:$HOME/.kube/config" kubectl config view --flatten > "$HOME/.kube/config.new" && mv "$HOME/.kube/config.new" "$HOME/.kube/config"`,
    '```',
    `On Windows (PowerShell) use the folder \`$HOME\\.kube\\csrbot\` the same way; the kubeconfig works unchanged. \`${files.certificate}\` is the same certificate on its own, for other tools. Your key never left your machine.`,
  ].join('\n');
}
