export { evaluatePolicy, allowedGroupsFor, type Finding, type PolicyRequest, type PolicyVerdict } from './evaluate-policy.js';
export { defaultPolicyConfig, parsePolicyConfig, parsePolicyConfigText, type PolicyConfig } from './policy-config.js';
export {
  kubernetesUsernameFor,
  parseUsernameMapping,
  usernameProblem,
  type SlackIdentity,
  type UsernameMapping,
  type UsernameRule,
} from './kubernetes-username.js';
export { opensslCommandsFor, opensslReqCommand, type OpensslCommands } from '../csr/openssl-commands.js';
