/**
 * The turns a message's creates will wait for (turns.ts), worked out before its transaction so
 * that its first statement takes them all. From the requests as parsed: a value the key hiding
 * changes afterwards (a key typed into a name) gives another key, and that create takes its own
 * turn when it runs. A create that will be refused (no last name, a wrong e-mail) takes none.
 */

import { pocValues } from './pocs.ts';
import { orgTurn, pocTurn, turnKey } from './turns.ts';
import type { OrgInput, PocInput } from './types.ts';

/** A request of a message, as the worker holds it; only POC N and ORG N have turns. */
export type RequestWithTurn =
  | ({ readonly kind: 'poc.create' } & PocInput)
  | ({ readonly kind: 'org.create' } & OrgInput)
  | { readonly kind: string };

/** The keys of the turns `account`'s creates among `requests` will take. */
export function turnsAhead(account: number, requests: readonly RequestWithTurn[]): Set<string> {
  const keys = new Set<string>();
  for (const request of requests) {
    if (request.kind === 'poc.create') {
      const values = pocValues(request as PocInput);
      if (values.ok) keys.add(turnKey(pocTurn(account, values.value)));
    } else if (request.kind === 'org.create') {
      const name = (request as OrgInput).legalName.trim();
      if (name) keys.add(turnKey(orgTurn(account, name)));
    }
  }
  return keys;
}
