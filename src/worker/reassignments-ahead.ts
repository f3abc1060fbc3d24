/**
 * A message's new simple reassignments placed and written ahead, in one statement
 * (src/registry/reassignments-together.ts), where that decides each exactly as running the
 * templates one by one would: on the message's first, savepoint-free run, when every other
 * template leaves nets alone (POC templates, templates refused as read) and the requester's
 * templates are not held by the POC validation. Each template then runs as ever, judging its
 * statement's answer taken from the shared one; a failure of the shared statement undoes the
 * transaction, and the message runs again with a savepoint and a statement per template.
 */
import { delegationAuthority, type Requester } from '../auth/index.ts';
import type { Transaction } from '../db/index.ts';
import {
  type PlacedReassignment,
  placeableTogether,
  placeCustomersAndNets,
  type ReassignmentWrite,
  simpleReassignmentWrite,
} from '../registry/index.ts';
import type { ParsedTemplate, RequestKind } from '../templates/index.ts';
import { hideKeysBeforeStoring } from './hide-keys.ts';

/** Kinds that neither read nor change nets: they may sit between reassignments placed together. */
const LEAVES_NETS_ALONE: ReadonlySet<RequestKind> = new Set(['poc.create', 'poc.modify', 'poc.remove']);

/** What each template (by index) placed ahead is answered; empty when the message is not one for it. */
export async function placeReassignmentsAhead(
  tx: Transaction,
  requester: Requester,
  templates: readonly ParsedTemplate[],
): Promise<ReadonlyMap<number, PlacedReassignment>> {
  const none = new Map<number, PlacedReassignment>();
  if (requester.pocsUnvalidated) return none;
  const ahead: { index: number; write: ReassignmentWrite }[] = [];
  const delegation = delegationAuthority(requester.accountId);
  for (const template of templates) {
    if (!template.result.ok) continue;
    const request = template.result.value;
    if (request.kind !== 'reassign-simple.create') {
      if (LEAVES_NETS_ALONE.has(request.kind)) continue;
      return none;
    }
    // As run-template.ts's `decide` hands it to the registry: keys hidden, authority at placement.
    const write = simpleReassignmentWrite(hideKeysBeforeStoring(request).value, { delegation });
    if (write.ok) ahead.push({ index: template.index, write: write.value });
  }
  const writes = ahead.map((a) => a.write);
  if (!placeableTogether(writes)) return none;
  const placed = await placeCustomersAndNets(tx, writes);
  return new Map(ahead.map((a, i) => [a.index, placed[i]!]));
}
