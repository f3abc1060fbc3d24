/**
 * Hand-inserted rows for the database-level tests (the dismissal race, refusals): a refused
 * submission as ingress + worker store it. The browser test sends real mail instead.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { Database, StoredProblem } from '../../../src/db/index.ts';
import { tables } from '../../../src/db/index.ts';
import { deliveryDigest } from '../../../src/ingress/index.ts';

export const DEMO_KEY = 'API-1A2B-3C4D-5E6F-7A8B';

export function simpleTemplate(range: string, name: string, key: string = DEMO_KEY): string {
  return [
    'Template: ARIN-REASSIGN-SIMPLE-5.3',
    `00. API Key: ${key}`,
    '01. Registration Action (N,M, or R): N',
    `02. Network Name: ${name}`,
    `03. IP Address and Prefix or Range: ${range}`,
    '04. Origin AS:',
    '05. Private (Yes or No): No',
    '06. Customer Name: Example Bakery',
    '07. Customer Address: 12 Flour Lane',
    '08. Customer City: Springfield',
    '09. Customer State/Province: IL',
    '10. Customer Postal Code: 62701',
    '11. Customer Country Code: US',
    '12. Public Comments:',
    'END OF TEMPLATE',
  ].join('\n');
}

export interface SeededRejection {
  readonly submissionId: string;
  readonly rejectionId: number;
}

export interface RejectionSeed {
  readonly from: string;
  readonly subject: string;
  readonly range: string;
  readonly netName: string;
  readonly error: StoredProblem;
  /** A second, base64 part carrying the key: the raw view must hide it there too. */
  readonly base64Attachment?: boolean;
}

/** A submission of one Reassign-Simple template that the pipeline refused, with its rejection row. */
export async function seedRejectedSubmission(db: Database, seed: RejectionSeed): Promise<SeededRejection> {
  const submissionId = `S${randomBytes(6).toString('hex')}`;
  const template = simpleTemplate(seed.range, seed.netName);
  const boundary = 'b-1';
  const attachment = seed.base64Attachment
    ? Buffer.from(`${template}\n`).toString('base64').replace(/.{76}/g, '$&\r\n')
    : '';
  const raw = Buffer.from(
    [
      `From: Billing <${seed.from}>`,
      'To: hostmaster@localhost',
      `Subject: ${seed.subject} ${DEMO_KEY}`,
      `Message-ID: <${submissionId}@billing.example>`,
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      template,
      ...(seed.base64Attachment
        ? [
            `--${boundary}`,
            'Content-Type: text/plain; name="swip.txt"',
            'Content-Transfer-Encoding: base64',
            'Content-Disposition: attachment; filename="swip.txt"',
            '',
            attachment,
          ]
        : []),
      `--${boundary}--`,
      '',
    ].join('\r\n'),
  );
  await db.insert(tables.submissions).values({
    id: submissionId,
    raw,
    rawSha256: createHash('sha256').update(raw).digest('hex'),
    deliverySha256: deliveryDigest(raw),
    messageId: `${submissionId}@billing.example`,
    sizeBytes: raw.length,
    envelopeFrom: seed.from,
    envelopeTo: ['hostmaster@localhost'],
    remoteAddress: '127.0.0.1',
    heloName: 'billing.example',
    via: 'smtp',
    fromAddress: seed.from,
    subject: `${seed.subject} ${DEMO_KEY}`,
    state: 'done',
    processedAt: new Date(),
    // As the worker records it for a keyed message from its account's address.
    answerTo: seed.from.toLowerCase(),
    answerTrust: 'authenticated',
  });
  await db.insert(tables.submissionTemplates).values({
    submissionId,
    templateIndex: 1,
    form: 'ARIN-REASSIGN-SIMPLE',
    formVersion: '5.3',
    requestKind: 'reassign-simple.create',
    request: {
      action: 'N',
      networkName: seed.netName,
      range: seed.range,
      customer: { name: 'Example Bakery' },
    },
    echo: template.replace(DEMO_KEY, 'API-****-****-****-7A8B'),
    outcome: 'rejected',
    errors: [seed.error],
  });
  const [rejection] = await db
    .insert(tables.rejections)
    .values({
      submissionId,
      templateIndex: 1,
      reasonCode: seed.error.code,
      reason: seed.error.message,
      form: 'ARIN-REASSIGN-SIMPLE',
      sender: seed.from,
    })
    .returning({ id: tables.rejections.id });
  return { submissionId, rejectionId: rejection!.id };
}

/** A stored message as the ingress keeps it (done, nothing else about it), for the pages that show it. */
export async function storeRawSubmission(db: Database, raw: Buffer): Promise<string> {
  const id = `S${randomBytes(6).toString('hex')}`;
  await db.insert(tables.submissions).values({
    id,
    raw,
    rawSha256: createHash('sha256').update(raw).digest('hex'),
    deliverySha256: deliveryDigest(raw),
    messageId: `${id}@isp.example`,
    sizeBytes: raw.length,
    envelopeFrom: 'billing@isp.example',
    envelopeTo: ['hostmaster@localhost'],
    via: 'smtp',
    fromAddress: 'billing@isp.example',
    subject: 'SWIP',
    state: 'done',
    processedAt: new Date(),
  });
  return id;
}

/**
 * The demo ISP's large allocation, 100.66.0.0/16 (NET-100-66-0-0-1): a /20 reassigned inside it
 * is held for staff review by the placement rule, where the console's hold tests want one.
 */
export async function insertDemoBigAllocation(db: Database): Promise<void> {
  await db.insert(tables.nets).values({
    handle: 'NET-100-66-0-0-1',
    name: 'DEMO-ISP-BIG',
    version: 4,
    startAddress: 0x64420000n,
    endAddress: 0x6442ffffn,
    cidrs: ['100.66.0.0/16'],
    type: 'direct_allocation',
    orgHandle: 'DEMOISP-1',
  });
}

/** The audit row of the last console action `action` on a rejection. */
export async function lastActionRow(db: Database, rejectionId: number, action: string): Promise<number> {
  const rows = await db
    .select({ id: tables.auditLog.id })
    .from(tables.auditLog)
    .where(
      and(
        eq(tables.auditLog.objectType, 'rejection'),
        eq(tables.auditLog.objectHandle, String(rejectionId)),
        eq(tables.auditLog.action, action),
      ),
    )
    .orderBy(tables.auditLog.id);
  return rows.at(-1)!.id;
}

/** The nets registered under `name`. */
export const netsNamed = async (db: Database, name: string) =>
  await db.select().from(tables.nets).where(eq(tables.nets.name, name));
