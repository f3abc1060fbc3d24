/**
 * The blank forms in templates/ and the parser's definitions must not drift: every definition
 * has its file, every file has its definition, the numbered lines match, and a form filled in
 * on every field parses into the expected request.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Problem } from '../../src/shared/errors.ts';
import {
  type Action,
  type FieldSpec,
  FORMS,
  type FormDefinition,
  type FormVersion,
  fieldId,
  parseSubmission,
  parseTemplateBlock,
  type RequestKind,
  splitTemplates,
} from '../../src/templates/index.ts';
import { readFields } from '../../src/templates/read-fields.ts';

const DIR = join(import.meta.dirname, '../../templates');
const fileName = (form: FormDefinition, v: FormVersion) => `${form.name}-${v.major}.${v.latestMinor}.txt`;

const SAMPLE: Record<FieldSpec['kind'], string> = {
  apiKey: 'API-1234-5678-9ABC-DEF0',
  action: 'N',
  text: 'Sample value',
  freeText: 'Some free text',
  pocHandle: 'DEMO1-ARIN',
  orgHandle: 'DEMOISP-1',
  country: 'US',
  email: 'noc@demo-isp.example',
  phone: '+1-703-555-0100',
  phoneExtension: '123',
  ipRange: '198.51.100.0/28',
  ipv4Range: '198.51.100.0/28',
  ipv6Range: '2001:db8:1::/48',
  originAs: 'AS64500, 64501',
  yesNo: 'No',
  contactType: 'P',
  netPocType: 'T',
  referralServer: 'rwhois://rwhois.demo-isp.example:4321',
  hostname: 'ns1.demo-isp.example',
  netName: 'DEMO-NET-1',
};

function expectedKind(form: FormDefinition, action: Action): RequestKind {
  const base = form.name.replace(/^ARIN-/, '');
  if (base.endsWith('NET-MOD')) return action === 'M' ? 'net.modify' : 'net.remove';
  if (base === 'REASSIGN-DETAILED' || base === 'IPv6-REASSIGN') return 'reassign-detailed';
  if (base.endsWith('REALLOCATE')) return 'reallocate';
  const verb = { N: 'create', M: 'modify', R: 'remove' }[action];
  return `${{ POC: 'poc', ORG: 'org', 'REASSIGN-SIMPLE': 'reassign-simple' }[base]}.${verb}` as RequestKind;
}

/** Values for every field, except those that must stay blank for the action or would contradict each other. */
function fill(text: string, version: FormVersion, action: Action, skip: ReadonlySet<string>): string {
  const specs = new Map(version.fields.map((f) => [fieldId(f.number), f]));
  return text
    .split('\n')
    .map((line) => {
      const m = /^(\d+)[a-z]?\.\s.*:$/.exec(line);
      const spec = m ? specs.get(String(Number(m[1]))) : undefined;
      if (!spec || spec.blankFor?.includes(action) || skip.has(spec.key)) return line;
      return `${line} ${spec.kind === 'action' ? action : SAMPLE[spec.kind]}`;
    })
    .join('\n');
}

describe('blank forms in templates/', () => {
  it('has exactly one file per form and version we accept', () => {
    const expected = FORMS.flatMap((f) => f.versions.map((v) => fileName(f, v))).sort();
    const actual = readdirSync(DIR)
      .filter((n) => n.endsWith('.txt'))
      .sort();
    expect(actual).toEqual(expected);
  });

  for (const form of FORMS) {
    for (const version of form.versions) {
      const name = fileName(form, version);
      describe(name, () => {
        const text = readFileSync(join(DIR, name), 'utf8');

        it('prints every live field of the definition, in order, with its label', () => {
          const blocks = splitTemplates(text);
          expect(blocks).toHaveLength(1);
          const block = blocks[0]!;
          expect(block.header).toBe(name.replace(/\.txt$/, ''));
          expect(block.endLine).toBeDefined();
          const problems: Problem[] = [];
          const fields = readFields(block.body, problems);
          expect(problems).toEqual([]);
          const printed = fields.map((f) => `${f.number}. ${f.label}`);
          const defined = version.fields
            .filter((f) => !f.retired)
            .flatMap((f) =>
              (f.printedAs ?? [f.number]).map((n) => `${n}. ${f.label}${f.hint ? ` (${f.hint})` : ''}`),
            );
          expect(printed).toEqual(defined);
        });

        it('sent back blank, is no request; read, into "fill me in" errors only', () => {
          // Our FORMS answer attached, sent back unchanged (a Forward): not a request at all.
          const r = parseSubmission({ text });
          expect(!r.ok && r.problem.code).toBe('E_NO_TEMPLATE');
          expect(!r.ok && r.problem.message).toContain('is a blank form');
          const result = parseTemplateBlock(splitTemplates(text)[0]!, 1).result;
          expect(result.ok).toBe(false);
          if (result.ok) return;
          for (const p of result.error) expect(p.code).toBe('E_MISSING_FIELD');
        });

        for (const action of form.actions) {
          it(`filled in on every field with action ${action}, parses into ${expectedKind(form, action)}`, () => {
            // Version 4 subdelegation forms: a handle OR the embedded details, not both.
            const skip = new Set(
              version.fields.some((f) => f.key === 'orgName')
                ? ['orgHandle', 'orgPocHandle', 'netPocHandle']
                : [],
            );
            const r = parseSubmission({ text: fill(text, version, action, skip) });
            expect(r.ok).toBe(true);
            if (!r.ok) return;
            const result = r.templates[0]!.result;
            expect(result.ok ? [] : result.error).toEqual([]);
            expect(result.ok && result.value.kind).toBe(expectedKind(form, action));
          });
        }
      });
    }
  }
});
