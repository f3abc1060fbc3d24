/**
 * What a template is about, as keys two templates can be compared by: the range a net template
 * names (`range:4:3325256704-3325256711`, start and end as numbers, so `192.0.2.0/29` and
 * `192.0.2.0 - 192.0.2.7` are one key) and the handle a change or removal names
 * (`poc:DEMO1-ARIN`, `org:DEMOISP-1`). A removal's keys say so (`remove:range:...`): an
 * approved removal does not make a refused registration of the same range moot, only a refused
 * removal. A creation of a POC or an org names nothing that exists yet: no key. Used to close a
 * refused template once a later one about the same thing was approved (src/worker/superseded.ts).
 *
 * A template refused at reading (a country `XX`, an origin AS `AS-FOO`: the usual typing
 * mistake) has no request, but it is about something all the same: `subjectsRead` takes the
 * same keys from the fields that did read, so the sender's corrected template closes it too.
 */
import type { IpRange } from '../ip/index.ts';
import type { Action } from './definition.ts';
import type { TemplateRequest } from './requests.ts';

export function rangeSubject(range: IpRange): string {
  return `range:${range.version}:${range.start}-${range.end}`;
}

export function requestSubjects(request: TemplateRequest): string[] {
  switch (request.kind) {
    case 'poc.modify':
      return [`poc:${request.handle.toUpperCase()}`];
    case 'poc.remove':
      return [`remove:poc:${request.handle.toUpperCase()}`];
    case 'org.modify':
      return [`org:${request.handle.toUpperCase()}`];
    case 'org.remove':
      return [`remove:org:${request.handle.toUpperCase()}`];
    case 'reassign-simple.create':
    case 'reassign-simple.modify':
    case 'reassign-detailed':
    case 'reallocate':
    case 'net.modify':
      return [rangeSubject(request.range)];
    case 'reassign-simple.remove':
    case 'net.remove':
      return [`remove:${rangeSubject(request.range)}`];
    case 'poc.create':
    case 'org.create':
      return [];
  }
}

/** The fields a template's subject is read from, each only when its value read without a problem. */
export interface SubjectFields {
  /** The range the template names (a net form's range field). */
  readonly range?: IpRange;
  /** The existing handle a POC or ORG form names (its field 02). */
  readonly handle?: { readonly kind: 'poc' | 'org'; readonly value: string };
}

/**
 * The keys `requestSubjects` would give the template's request, from the fields that read, for
 * a template whose request could not be built. Only what is unambiguous: without a registration
 * action that read, nobody can tell a removal from a registration, so no key; a handle counts
 * only for a change or removal (a create names none: a handle written there is itself refused);
 * a value refused, or only guessed at (`USA` read as meaning `US`), is never among `fields`.
 */
export function subjectsRead(action: Action | undefined, fields: SubjectFields): string[] {
  if (!action) return [];
  const removal = action === 'R' ? 'remove:' : '';
  if (fields.range) return [`${removal}${rangeSubject(fields.range)}`];
  if (fields.handle && action !== 'N')
    return [`${removal}${fields.handle.kind}:${fields.handle.value.toUpperCase()}`];
  return [];
}
