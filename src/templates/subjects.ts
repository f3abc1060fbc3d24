/**
 * What a template is about, as keys two templates can be compared by: the range a net template
 * names (`range:4:3325256704-3325256711`, start and end as numbers, so `192.0.2.0/29` and
 * `192.0.2.0 - 192.0.2.7` are one key) and the handle a change or removal names
 * (`poc:DEMO1-ARIN`, `org:DEMOISP-1`). A removal's keys say so (`remove:range:...`): an
 * approved removal does not make a refused registration of the same range moot, only a refused
 * removal. A creation of a POC or an org names nothing that exists yet: no key. Used to close a
 * refused template once a later one about the same thing was approved (src/worker/superseded.ts).
 */
import type { IpRange } from '../ip/index.ts';
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
