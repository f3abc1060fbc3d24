/**
 * Mail the way a billing system sends it in bulk, for the scale-out tests and the benchmark:
 * each message holds 1 to 10 templates under the demo ISP's API key, in a fixed mix of
 *   - IPv6 simple reassignments of a fresh /56 of 2001:db8::/32 (approved, a new net each),
 *   - role POCs to create (approved, a new POC each),
 *   - a reassignment inside the OTHER ISP's 203.0.113.0/24 (refused: not theirs; no change),
 * so every run changes the registry and the outcome of each template is known in advance.
 */
import { DEMO_API_KEY } from '../../../src/registry/index.ts';

export type TemplateKind = 'reassign-v6' | 'poc' | 'not-ours';

export const EXPECTED_OUTCOME: Readonly<Record<TemplateKind, 'approved' | 'rejected'>> = {
  'reassign-v6': 'approved',
  poc: 'approved',
  'not-ours': 'rejected',
};

/** The kind of the template at position `i` of the whole run: mostly reassignments, like SWIP traffic. */
export function kindAt(i: number): TemplateKind {
  const slot = i % 10;
  if (slot === 9) return 'not-ours';
  if (slot === 4 || slot === 7) return 'poc';
  return 'reassign-v6';
}

/** The /56 numbered `n` inside 2001:db8::/32 (2^24 of them: every run can use fresh ones). */
export function v6Block(n: number): string {
  const high = ((n >>> 8) & 0xffff).toString(16);
  const low = ((n & 0xff) << 8).toString(16);
  return `2001:db8:${high}:${low}::/56`;
}

/** One template's text; `n` makes names and ranges unique across a run (and `run` across runs). */
export function templateText(kind: TemplateKind, n: number, run = 0): string {
  const tag = `${run.toString(36)}${n.toString(36)}`.toUpperCase();
  if (kind === 'poc') {
    return [
      'Template: ARIN-POC-5.0',
      '01. Registration Action (N, M or R): N',
      '02. Existing POC Handle:',
      '03. Contact Type (P or R): R',
      `04. Last Name or Role Account: Bulk Role ${tag}`,
      '07. Company Name: Demo ISP',
      '08. Address: 1 Demo Plaza',
      '09. City: Herndon',
      '10. State/Province: VA',
      '11. Postal Code: 20170',
      '12. Country Code: US',
      '13. Office Phone Number: +1-703-555-0100',
      `15. E-mail Address: role-${tag.toLowerCase()}@demo-isp.example`,
      'END OF TEMPLATE',
    ].join('\n');
  }
  const range = kind === 'not-ours' ? '203.0.113.64/28' : v6Block(run * 1_000_000 + n);
  return [
    'Template: ARIN-REASSIGN-SIMPLE-5.0',
    '01. Registration Action (N,M, or R): N',
    `02. Network Name: BULK-${tag}`,
    `03. IP Address and Prefix or Range: ${range}`,
    '04. Origin AS: AS64500',
    '05. Private (Yes or No): No',
    `06. Customer Name: Customer ${tag}`,
    '07. Customer Address: 100 Industrial Way',
    '08. Customer City: Springfield',
    '09. Customer State/Province: VA',
    '10. Customer Postal Code: 22150',
    '11. Customer Country Code: US',
    'END OF TEMPLATE',
  ].join('\n');
}

export interface BulkMessage {
  readonly messageId: string;
  readonly raw: string;
  readonly kinds: readonly TemplateKind[];
}

export interface BulkPlan {
  readonly messages: readonly BulkMessage[];
  readonly templates: number;
  /** How many templates of each expected outcome the whole plan holds. */
  readonly approved: number;
  readonly rejected: number;
}

/**
 * `count` messages; message i holds `templatesIn(i)` templates (default: 1..10 in a fixed
 * cycle, 5.5 on average). `run` keeps ranges and Message-IDs apart across runs on one database.
 */
export function bulkPlan(
  count: number,
  options: { run?: number; templatesIn?: (i: number) => number } = {},
): BulkPlan {
  const run = options.run ?? 0;
  const templatesIn = options.templatesIn ?? ((i: number) => (i % 10) + 1);
  const messages: BulkMessage[] = [];
  let next = 0;
  let approved = 0;
  for (let i = 0; i < count; i++) {
    const kinds: TemplateKind[] = [];
    const texts: string[] = [];
    for (let t = 0; t < templatesIn(i); t++) {
      const kind = kindAt(next);
      kinds.push(kind);
      texts.push(templateText(kind, next, run));
      if (EXPECTED_OUTCOME[kind] === 'approved') approved++;
      next++;
    }
    const messageId = `<bulk-${run}-${i}@demo-isp.example>`;
    const raw = [
      'From: Demo ISP billing <noc@demo-isp.example>',
      'To: hostmaster@localhost',
      `Subject: SWIP batch ${i} ${DEMO_API_KEY}`,
      `Message-ID: ${messageId}`,
      'Date: Wed, 25 Nov 2026 10:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'Automated SWIP submission.',
      '',
      texts.join('\n\n'),
      '',
    ].join('\r\n');
    messages.push({ messageId, raw: raw.replace(/(?<!\r)\n/g, '\r\n'), kinds });
  }
  return { messages, templates: next, approved, rejected: next - approved };
}
