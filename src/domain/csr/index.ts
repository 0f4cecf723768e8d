export { parseCsr, toPem, type ParseOptions } from './parse-csr.js';
export { MAX_INPUT_BYTES } from './read-input.js';
export { MIN_RSA_BITS } from './public-key.js';
export { kubernetesIdentityOf, type KubernetesIdentity } from './kubernetes-identity.js';
export { opensslCommandsFor, opensslReqCommand, opensslSubject, UNKNOWN_USER, type KeyChoice, type OpensslCommands } from './openssl-commands.js';
export type { Curve, Extension, HashName, KeyAlgorithm, ParsedCsr, PublicKeyInfo, SignatureInfo, Subject, SubjectAltNames, SubjectAttribute } from './types.js';
export { formatSans } from './types.js';
