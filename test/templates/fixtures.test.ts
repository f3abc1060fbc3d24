/**
 * Every mail fixture, end to end through extraction and parsing, with the typed requests or
 * errors expected, field by field. The same .eml files are replayed over SMTP by pipeline tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatRange, type IpRange } from '../../src/ip/index.ts';
import { extractMail } from '../../src/mail/index.ts';
import {
  type ParsedTemplate,
  parseSubmission,
  type SubmissionParse,
  type TemplateRequest,
} from '../../src/templates/index.ts';

const DIR = join(import.meta.dirname, '../fixtures/mail');

async function submission(name: string): Promise<SubmissionParse> {
  const mail = await extractMail(readFileSync(join(DIR, name)));
  if (!mail.ok) throw new Error(mail.error.message);
  return parseSubmission({ subject: mail.value.headers.subject, text: mail.value.text });
}
async function only(name: string): Promise<ParsedTemplate> {
  const s = await submission(name);
  if (!s.ok) throw new Error(s.problem.message);
  expect(s.templates).toHaveLength(1);
  return s.templates[0]!;
}
async function requestOf(name: string): Promise<TemplateRequest> {
  const t = await only(name);
  if (!t.result.ok) throw new Error(JSON.stringify(t.result.error));
  return t.result.value;
}
/** Ranges compared in their human form. */
function readable(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => {
      if (v && typeof v === 'object' && 'start' in v && 'version' in v) return formatRange(v as IpRange);
      return typeof v === 'bigint' ? v.toString() : v;
    }),
  );
}

describe('mail fixtures -> typed requests', () => {
  it('plain text REASSIGN-SIMPLE-5.0', async () => {
    expect(readable(await requestOf('plain-reassign-simple-5.0.eml'))).toEqual({
      kind: 'reassign-simple.create',
      range: '198.51.100.64/28',
      networkName: 'DEMO-ACME-1',
      originAs: [64500],
      customer: {
        name: 'Acme Widgets Inc',
        privateResidence: false,
        address: {
          street: ['100 Industrial Way', 'Building 7'],
          city: 'Springfield',
          state: 'VA',
          postalCode: '22150',
          country: 'US',
        },
      },
      publicComments: ['Customer since 2019'],
    });
  });

  it('multipart with the template as a base64 .txt attachment; API key kept apart and redacted in the echo', async () => {
    const t = await only('attachment-txt-base64.eml');
    expect(t.apiKey).toBe('API-1A2B-3C4D-5E6F-7A8B');
    expect(t.echo).toContain('00. API Key: API-****-****-****-7A8B');
    expect(t.headerLine).toBe(6);
    expect(readable(t.result.ok && t.result.value)).toMatchObject({
      kind: 'reassign-simple.create',
      range: '198.51.100.80/28',
      networkName: 'DEMO-BOLT-1',
      originAs: [64500, 64501],
      customer: {
        name: 'Bolt Hardware LLC',
        address: {
          street: ['22 River Rd'],
          city: 'Richmond',
          state: 'VA',
          postalCode: '23219',
          country: 'US',
        },
      },
    });
  });

  it('application/octet-stream attachment without extension', async () => {
    expect(readable(await requestOf('attachment-octet-stream.eml'))).toMatchObject({
      kind: 'reassign-simple.create',
      range: '198.51.100.96/28',
      customer: { name: 'Corner Cafe', address: { city: 'Norfolk' } },
    });
  });

  it('Windows-1252 attachment with curly quotes', async () => {
    expect(await requestOf('attachment-windows-1252.eml')).toMatchObject({
      customer: { name: 'O’Brien’s Café – “Best Coffee”' },
    });
  });

  it('HTML-only POC modify', async () => {
    expect(await requestOf('html-only-poc-modify.eml')).toEqual({
      kind: 'poc.modify',
      handle: 'DEMO1-ARIN',
      changes: {
        officePhones: ['+1-703-555-0199'],
        emails: ['noc@demo-isp.example'],
        publicComments: ['Updated phone & hours'],
      },
    });
  });

  it('quoted-printable with soft breaks inside long lines', async () => {
    expect(await requestOf('quoted-printable-soft-breaks.eml')).toMatchObject({
      networkName: 'DEMO-LONGNAME-1',
      customer: {
        name: 'The Very Long Named Customer Corporation of Northern Virginia',
        address: {
          street: ['1234 Extraordinarily Long Boulevard Name That Goes On, Suite 5678'],
          city: 'Alexandria',
        },
      },
      publicComments: [
        "This reassignment covers the customer's primary office network; contact noc=demo for questions.",
      ],
    });
  });

  it('ISO-8859-1 POC create with accents', async () => {
    const t = await only('iso-8859-1-poc-create.eml');
    expect(t.apiKey).toBe('API-1A2B-3C4D-5E6F-7A8B');
    expect(t.result.ok && t.result.value).toEqual({
      kind: 'poc.create',
      contactType: 'person',
      lastName: 'Dupré',
      firstName: 'Jérôme',
      companyName: 'Démo Télécom Ltée',
      address: {
        street: ['1250 rue Sainte-Catherine Est'],
        city: 'Montréal',
        state: 'QC',
        postalCode: 'H2L 2H2',
        country: 'CA',
      },
      officePhones: ['+1 514 555 0123'],
      officePhoneExtensions: ['42'],
      emails: ['jerome.dupre@demo-isp.example'],
      publicComments: [],
    });
  });

  it('base64 UTF-8 ORG create with multi-line additional information', async () => {
    expect(await requestOf('base64-org-create.eml')).toEqual({
      kind: 'org.create',
      legalName: 'Downstream Fibre GmbH',
      address: { street: ['Müllerstraße 12'], city: 'München', postalCode: '80331', country: 'DE' },
      adminPoc: 'DEMO1-ARIN',
      techPocs: ['DEMO1-ARIN'],
      abusePocs: ['DEMO1-ARIN'],
      nocPocs: [],
      publicComments: [],
      additionalInfo: 'New customer org for the Munich office,\ncreated on behalf of our customer.',
    });
  });

  it('CRLF NET-MOD-5.0: range written as a range, NONE clears the abuse POC', async () => {
    expect(readable(await requestOf('crlf-net-mod-5.0.eml'))).toEqual({
      kind: 'net.modify',
      range: '198.51.100.0/24',
      changes: {
        networkName: 'DEMOISP-NET',
        originAs: [64500, 64501],
        techPoc: 'DEMO1-ARIN',
        abusePoc: null,
        publicComments: ['Main allocation'],
      },
    });
  });

  it('ten templates are ten requests; eleven refuse the message', async () => {
    const ten = await submission('ten-templates.eml');
    expect(ten.ok).toBe(true);
    if (ten.ok) {
      expect(ten.templates.map((t) => t.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(
        ten.templates.map((t) =>
          readable(t.result.ok && t.result.value.kind === 'reassign-simple.create' && t.result.value.range),
        ),
      ).toEqual(Array.from({ length: 10 }, (_, i) => `198.51.100.${16 * i}/28`));
    }
    const eleven = await submission('eleven-templates.eml');
    expect(eleven.ok).toBe(false);
    if (!eleven.ok) {
      expect(eleven.problem.code).toBe('E_TOO_MANY_TEMPLATES');
      expect(eleven.templatesFound).toBe(11);
    }
  });

  it('a reply quoting a template is not a submission', async () => {
    const s = await submission('reply-quoting-template.eml');
    expect(!s.ok && s.problem.code).toBe('E_NO_TEMPLATE');
  });

  it('PGP-signed body', async () => {
    expect(readable(await requestOf('pgp-signed.eml'))).toMatchObject({
      kind: 'reassign-simple.create',
      range: '198.51.100.128/28',
      networkName: 'DEMO-PGP-1',
    });
  });

  it('format=flowed body: a flowed line is one value', async () => {
    expect(await requestOf('format-flowed.eml')).toMatchObject({
      publicComments: ['This is a long comment that a flowed mail client wrapped at a space'],
    });
  });

  it('legacy REASSIGN-SIMPLE-3.0 with 5a./5b. and a backslash prefix with leading zeros', async () => {
    expect(readable(await requestOf('legacy-reassign-simple-3.0.eml'))).toEqual({
      kind: 'reassign-simple.create',
      range: '198.51.100.160/28',
      networkName: 'DEMO-OLD-1',
      originAs: [],
      customer: {
        name: 'Old Timer Services',
        privateResidence: false,
        address: {
          street: ['9 Legacy Lane', 'Unit 3'],
          city: 'Fairfax',
          state: 'VA',
          postalCode: '22030',
          country: 'US',
        },
      },
      publicComments: [],
    });
  });

  it('legacy REASSIGN-SIMPLE-4.1 remove by range', async () => {
    expect(readable(await requestOf('legacy-reassign-simple-4.1.eml'))).toEqual({
      kind: 'reassign-simple.remove',
      range: '198.51.100.64/28',
    });
  });

  it('legacy NET-MOD-4.1 with reverse name servers', async () => {
    expect(readable(await requestOf('legacy-net-mod-4.1.eml'))).toEqual({
      kind: 'net.modify',
      range: '198.51.100.0/24',
      changes: {
        originAs: [64500],
        techPoc: 'DEMO1-ARIN',
        reverseNameservers: ['ns1.demo-isp.example', 'ns2.demo-isp.example'],
      },
      additionalInfo: 'Moving reverse DNS to new servers.',
    });
  });

  it('POC-5.0 role account', async () => {
    expect(await requestOf('poc-5.0-role.eml')).toEqual({
      kind: 'poc.create',
      contactType: 'role',
      lastName: 'Demo ISP Abuse',
      companyName: 'Demo ISP',
      address: { street: ['1 Demo Plaza'], city: 'Herndon', state: 'VA', postalCode: '20170', country: 'US' },
      officePhones: ['+1-703-555-0100'],
      emails: ['abuse@demo-isp.example'],
      publicComments: ['Abuse desk, 24x7'],
    });
  });

  it('a template full of mistakes: every error, with field and line counted from its Template: line', async () => {
    const t = await only('errors-reassign-simple.eml');
    expect(t.result.ok).toBe(false);
    if (t.result.ok) return;
    expect(t.result.error.map((p) => [p.code, p.field, p.line])).toEqual([
      ['E_MISSING_FIELD', '08', 1],
      ['E_INVALID_IP', '03', 3],
      ['E_INVALID_ORIGIN_AS', '04', 4],
      ['E_TOO_MANY_VALUES', '06', 6],
      ['E_INVALID_COUNTRY', '11', 8],
    ]);
  });

  it('an unknown form names what we accept', async () => {
    const t = await only('unknown-form.eml');
    expect(!t.result.ok && t.result.error[0]).toMatchObject({ code: 'E_UNKNOWN_TEMPLATE', line: 1 });
    expect(t.formAsWritten).toBe('ARIN-FOOBAR-5.0');
  });

  it('an auto-reply has no template', async () => {
    const s = await submission('auto-reply.eml');
    expect(!s.ok && s.problem.code).toBe('E_NO_TEMPLATE');
  });
});
