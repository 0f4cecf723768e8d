/**
 * The one definition of "this is private key material". csrbot must never
 * store, log or forward a private key; intake, the stores and the log
 * scrubber all ask here.
 */
const MARKER = 'PRIVATE KEY';

/** A whole PEM private key block (RSA, EC, ENCRYPTED, OPENSSH, ...), or its start when the end is cut off. */
export const PRIVATE_KEY_BLOCK = new RegExp(`-----BEGIN ([A-Z0-9 ]*)${MARKER}-----[\\s\\S]*?(-----END \\1${MARKER}-----|$)`, 'g');

/** True for a PEM label such as "EC PRIVATE KEY" or "ENCRYPTED PRIVATE KEY". */
export function isPrivateKeyLabel(label: string): boolean {
  return label.trim().endsWith(MARKER);
}

/**
 * True when text holds the armor line of a private key block. The words
 * alone ("never send your PRIVATE KEY") are not key material.
 */
export function containsPrivateKey(text: string): boolean {
  return new RegExp(`-----BEGIN [A-Z0-9 ]*${MARKER}-----`).test(text);
}
