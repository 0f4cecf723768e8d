/**
 * The rules every RequestStore follows, whatever it stores in: which fields a
 * patch may touch, that the state machine is respected, and that no private
 * key is ever written. Shared by RedisRequestStore and the in-memory fake so
 * both behave the same.
 */
import { canTransition, type Approval, type CertificateRequest, type RequestState } from '../../domain/lifecycle.js';
import { containsPrivateKey } from '../../domain/private-key.js';

/** Fields only create/transition/addApproval may write. */
const NOT_PATCHABLE = ['id', 'csrName', 'state', 'approvals'] as const;

export type RequestPatch = Partial<CertificateRequest>;

/** A patch as fields to set (JSON-encoded) and fields to remove (given as `undefined`). */
export interface EncodedPatch {
  set: Array<[field: string, json: string]>;
  remove: string[];
}

const ID = /^[A-Za-z0-9_.-]{1,128}$/;

/** Ids become part of Redis keys; a `:` in one could reach another request's keys. */
export function checkId(id: string): void {
  if (!ID.test(id)) throw new Error(`Invalid request id ${JSON.stringify(id)}: use 1-128 of A-Z a-z 0-9 _ . -`);
}

/** Refuses anything that looks like a private key: csrbot must never hold one. */
export function refusePrivateKey(json: string, where: string): void {
  if (containsPrivateKey(json)) {
    throw new Error(`Refusing to store ${where}: it contains a PRIVATE KEY block. csrbot never stores private keys.`);
  }
}

export function checkPatch(patch: RequestPatch, op: 'update' | 'transition'): void {
  for (const field of NOT_PATCHABLE) {
    if (field in patch) {
      const how = field === 'state' ? 'use transition()' : field === 'approvals' ? 'use addApproval()' : 'it is fixed at create()';
      throw new Error(`RequestStore.${op} cannot set '${field}': ${how}`);
    }
  }
}

export function checkTransition(from: readonly RequestState[], to: RequestState): void {
  if (from.length === 0) throw new Error(`RequestStore.transition to '${to}' needs at least one 'from' state`);
  for (const f of from) {
    // A caller asking for an illegal move is a bug; failing loudly beats a silent 'lost the race'.
    if (!canTransition(f, to)) throw new Error(`Illegal transition ${f} -> ${to}`);
  }
}

export function encodePatch(patch: RequestPatch): EncodedPatch {
  const out: EncodedPatch = { set: [], remove: [] };
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) {
      out.remove.push(field);
    } else {
      const json = JSON.stringify(value);
      refusePrivateKey(json, `field '${field}'`);
      out.set.push([field, json]);
    }
  }
  return out;
}

/** The request's own fields (everything except approvals), each JSON-encoded. */
export function encodeRequestFields(request: CertificateRequest): Array<[string, string]> {
  const { approvals: _approvals, ...rest } = request;
  return encodePatch(rest).set;
}

export function encodeApproval(approval: Approval): string {
  const json = JSON.stringify(approval);
  refusePrivateKey(json, 'an approval');
  return json;
}

/** Oldest first; ties by user id so the order is stable. */
export function sortApprovals(approvals: Approval[]): Approval[] {
  return [...approvals].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}
