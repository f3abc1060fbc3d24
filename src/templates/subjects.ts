/**
 * What a template is about, as keys two templates can be compared by: the kind of change and the
 * range a net template names (`simple-n:range:4:3325256704-3325256711`, start and end as numbers,
 * so `192.0.2.0/29` and `192.0.2.0 - 192.0.2.7` are one key; a Net-Mod M is `netmod-m:`, so a
 * Reassign-Simple M of the range does not close it), a new net's network name and customer
 * (`simple-n:name:NET|CUSTOMER`, for a typo in the range itself), and the handle a change or removal names
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
import { redactApiKeys } from '../shared/index.ts';
import type { Action } from './definition.ts';
import type { TemplateRequest } from './requests.ts';

export function rangeSubject(range: IpRange): string {
  return `range:${range.version}:${range.start}-${range.end}`;
}

/**
 * What kind of change a template asks, as its keys carry it: only a later template asking the
 * same kind of change supersedes a refused one (a Reassign-Simple M of a range does not do what a
 * refused Net-Mod M of it asked: the origin AS, the POCs were never applied). A removal is a
 * removal whichever form asked it (`remove:`).
 */
type ChangeKind = 'simple-n' | 'simple-m' | 'detailed-n' | 'realloc-n' | 'netmod-m';

const KIND_OF_REQUEST: Partial<Record<TemplateRequest['kind'], ChangeKind>> = {
  'reassign-simple.create': 'simple-n',
  'reassign-simple.modify': 'simple-m',
  'reassign-detailed': 'detailed-n',
  reallocate: 'realloc-n',
  'net.modify': 'netmod-m',
};

/** The same kinds, from a form's name and the action that read (a template refused at reading). */
function kindOfForm(form: string, action: Action): ChangeKind | undefined {
  const name = form.toUpperCase();
  if (name === 'ARIN-REASSIGN-SIMPLE')
    return action === 'N' ? 'simple-n' : action === 'M' ? 'simple-m' : undefined;
  if (action !== 'N' && /NET-MOD$/.test(name)) return action === 'M' ? 'netmod-m' : undefined;
  if (action === 'N' && /REASSIGN(-DETAILED)?$/.test(name)) return 'detailed-n';
  if (action === 'N' && /REALLOCATE$/.test(name)) return 'realloc-n';
  return undefined;
}

/**
 * A new net by what names it besides its range: the network name with the customer's name (or the
 * downstream org), upper-cased, spaces folded. The usual Monday typo is in the range, and the
 * billing system's corrected resend keeps the names: this key lets that resend close the refusal.
 */
export function nameSubject(kind: ChangeKind, networkName: string, holder: string): string {
  // Stored with the template (submission_templates.subjects): a key written in a name is hidden
  // there as everywhere else we store text (the stored request holds it hidden too).
  const fold = (text: string) => redactApiKeys(text).trim().replace(/\s+/g, ' ').toUpperCase();
  return `${kind}:name:${fold(networkName)}|${fold(holder)}`;
}

function holderOf(request: TemplateRequest): string | undefined {
  if (request.kind === 'reassign-simple.create') return request.customer.name;
  if (request.kind === 'reassign-detailed' || request.kind === 'reallocate') {
    const org = request.downstreamOrg;
    return 'handle' in org ? org.handle : org.create.name;
  }
  return undefined;
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
    case 'net.modify': {
      const kind = KIND_OF_REQUEST[request.kind]!;
      const holder = holderOf(request);
      const name = 'networkName' in request ? request.networkName : undefined;
      return [
        `${kind}:${rangeSubject(request.range)}`,
        ...(name && holder ? [nameSubject(kind, name, holder)] : []),
      ];
    }
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
  /** The form's name, e.g. `ARIN-REASSIGN-SIMPLE`: with the action, the kind of change asked. */
  readonly form: string;
  /** The range the template names (a net form's range field). */
  readonly range?: IpRange;
  /** The existing handle a POC or ORG form names (its field 02). */
  readonly handle?: { readonly kind: 'poc' | 'org'; readonly value: string };
  /** A new net's network name, and its customer's name or downstream org (handle or name). */
  readonly networkName?: string;
  readonly holder?: string;
}

/**
 * The keys `requestSubjects` would give the template's request, from the fields that read, for
 * a template whose request could not be built. Only what is unambiguous: without a registration
 * action that read, nobody can tell a removal from a registration, so no key; a handle counts
 * only for a change or removal (a create names none: a handle written there is itself refused);
 * a value refused, or only guessed at (`USA` read as meaning `US`), is never among `fields`.
 * A new net whose range did not read (the usual typo) is still named by its network name and
 * customer, when both read.
 */
export function subjectsRead(action: Action | undefined, fields: SubjectFields): string[] {
  if (!action) return [];
  if (action === 'R') {
    if (fields.range) return [`remove:${rangeSubject(fields.range)}`];
    return fields.handle ? [`remove:${fields.handle.kind}:${fields.handle.value.toUpperCase()}`] : [];
  }
  const kind = kindOfForm(fields.form, action);
  if (kind) {
    const named =
      action === 'N' && fields.networkName && fields.holder
        ? [nameSubject(kind, fields.networkName, fields.holder)]
        : [];
    return [...(fields.range ? [`${kind}:${rangeSubject(fields.range)}`] : []), ...named];
  }
  if (fields.handle && action !== 'N') return [`${fields.handle.kind}:${fields.handle.value.toUpperCase()}`];
  return [];
}
