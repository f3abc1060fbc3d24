/**
 * Versions are declared, not inferred: what differs between the versions of a form (beyond its
 * fields) is said on each version's entry, so a new version is one entry, and nothing reads a
 * version from which fields happen to exist.
 */
import { describe, expect, it } from 'vitest';
import { type FormVersion, findForm, findVersion, parseSubmission } from '../../src/templates/index.ts';

const SUBDELEGATION_FORMS = [
  'ARIN-REASSIGN-DETAILED',
  'ARIN-REALLOCATE',
  'ARIN-IPv6-REASSIGN',
  'ARIN-IPv6-REALLOCATE',
];

/** The behaviour a subdelegation version declares besides its fields. */
const declared = (version: FormVersion) =>
  Object.entries(version)
    .filter(([, value]) => typeof value === 'function')
    .map(([key, value]) => [key, (value as { name: string }).name]);

describe('form versions', () => {
  it('each subdelegation version declares how it names the downstream org and the net POCs', () => {
    for (const name of SUBDELEGATION_FORMS) {
      const form = findForm(name)!;
      expect(form.versions.map((v) => [v.major, declared(v)])).toEqual([
        [
          4,
          [
            ['downstreamOrg', 'namedOrWrittenOrg'],
            ['netPocs', 'embeddedNetPoc'],
          ],
        ],
        [
          5,
          [
            ['downstreamOrg', 'namedOrg'],
            ['netPocs', 'noNetPocs'],
          ],
        ],
      ]);
    }
  });

  it('a retired field says why on its own entry, and the refusal of a filled one says that', () => {
    const form = findForm('ARIN-REASSIGN-DETAILED')!;
    const orgName = findVersion(form, 5)!.fields.find((f) => f.number === '02')!;
    expect(orgName.retired).toBe(
      'the downstream org must already exist and be named by its Org ID in field 01',
    );
    const parsed = parseSubmission({
      text: [
        'Template: ARIN-REASSIGN-DETAILED-5.4',
        '02. Org Name: New Org',
        '20. IP Address and Prefix or Range: 198.51.100.128/25',
        '21. Network Name: OTHER-NET',
        'END OF TEMPLATE',
      ].join('\n'),
    });
    const template = parsed.ok ? parsed.templates[0] : undefined;
    const errors = template && !template.result.ok ? [...template.result.error] : [];
    expect(errors.find((p) => p.code === 'E_RETIRED_FIELD')?.message).toBe(
      `field 02 is retired on ARIN-REASSIGN-DETAILED-5.x: ${orgName.retired}`,
    );
  });

  it('version 4 reads the net POC it carries; version 5 carries none', () => {
    const requestOf = (lines: string[]) => {
      const parsed = parseSubmission({ text: [...lines, 'END OF TEMPLATE'].join('\n') });
      const template = parsed.ok ? parsed.templates[0] : undefined;
      if (!template) return undefined;
      return template.result.ok ? template.result.value : template.result.error;
    };
    const common = [
      '01. Downstream Org ID: OTHERISP-1',
      '20. IP Address and Prefix or Range: 198.51.100.128/25',
      '21. Network Name: OTHER-NET',
    ];
    expect(
      requestOf([
        'Template: ARIN-REASSIGN-DETAILED-4.1',
        ...common,
        '24. Net POC Type: T',
        '25. Net POC Handle: DEMO1-ARIN',
      ]),
    ).toMatchObject({
      kind: 'reassign-detailed',
      downstreamOrg: { handle: 'OTHERISP-1' },
      netPocs: [{ role: 'tech', poc: { handle: 'DEMO1-ARIN' } }],
    });
    expect(requestOf(['Template: ARIN-REASSIGN-DETAILED-5.4', ...common])).toMatchObject({
      kind: 'reassign-detailed',
      downstreamOrg: { handle: 'OTHERISP-1' },
      netPocs: [],
    });
  });
});
