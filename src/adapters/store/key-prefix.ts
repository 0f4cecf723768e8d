/**
 * Every Redis adapter puts its keys under REDIS_PREFIX followed by `:`; an
 * empty prefix or one ending in `:` would make keys that another deployment,
 * or another adapter, could also write.
 */
export function checkKeyPrefix(owner: string, prefix: string): void {
  if (!prefix || prefix.endsWith(':')) throw new Error(`${owner} prefix must be non-empty, without a trailing ':' (got '${prefix}')`);
}
