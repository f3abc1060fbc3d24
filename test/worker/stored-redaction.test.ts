/**
 * A key typed into a free-text field is quoted back by the parser; what the worker stores for
 * the template (the request, errors, notes) must not carry it: staff pages and exports show them.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { parseSubmission } from '../../src/templates/index.ts';
import { KEY_HIDDEN_NOTE } from '../../src/worker/hide-keys.ts';
import { runTemplate } from '../../src/worker/run-template.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';

const LEAKED = 'API-1234-5678-9ABC-DEF0';

const text = (range: string) => `Template: ARIN-REASSIGN-SIMPLE-5.3
01. Registration Action: N
02. Network Name: KEYTEST
03. IP Address and Prefix or Range: ${range}
05. Private (Yes or No): No
06. Customer Name: Key Leak Co ${LEAKED}
07. Customer Address: 1 Main St
08. Customer City: Springfield
09. Customer State/Province: VA
10. Customer Postal Code: 22150
11. Customer Country Code: US
12. Public Comments: our key is ${LEAKED} oops
END OF TEMPLATE
`;

describe('what the worker stores for a template', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    const doc = validateSeed(DEMO_SEED);
    if (!doc.ok) throw new Error('demo seed');
    await seedRegistry(database.db, doc.value);
  });
  afterAll(async () => {
    await database?.close();
  });

  /** Runs the key-leaking template for `range` as a stored submission `id` of the demo account. */
  async function runLeakyTemplate(id: string, range: string) {
    await database.db.insert(tables.submissions).values({
      id,
      raw: Buffer.from('x'),
      rawSha256: id,
      deliverySha256: id,
      sizeBytes: 1,
      via: 'stdin',
    });
    const parsed = parseSubmission({ text: text(range) });
    if (!parsed.ok) throw new Error(parsed.problem.message);
    const [account] = await database.db.select().from(tables.accountPocs);
    return runTemplate(
      database.db,
      {
        submissionId: id,
        template: parsed.templates[0]!,
        requester: {
          accountId: account!.accountId,
          via: 'api-key',
          display: 'demo',
          fromIsAccountAddress: true,
        },
        sender: 'noc@demo-isp.example',
      },
      async () => ({ mails: [], held: [] }),
    );
  }

  it.each([
    ['applied', '198.51.100.200/29', 1],
    ['refused', '192.0.2.0/29', 2],
  ])('holds no API key when the template is %s', async (_what, range, n) => {
    const id = `Sredact${n}`;
    await runLeakyTemplate(id, range);
    const rows = await database.db
      .select()
      .from(tables.submissionTemplates)
      .where(eq(tables.submissionTemplates.submissionId, id));
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows[0])).not.toContain(LEAKED);
    const tickets = await database.db
      .select()
      .from(tables.tickets)
      .where(eq(tables.tickets.submissionId, id));
    expect(JSON.stringify(tickets)).not.toContain(LEAKED);
    const rejections = await database.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.submissionId, id));
    expect(JSON.stringify(rejections)).not.toContain(LEAKED);
  });

  it('writes no API key into the registry records it creates (they are public), and says so', async () => {
    const id = 'Sredact3';
    const result = await runLeakyTemplate(id, '198.51.100.208/29');
    expect(result.outcome).toBe('approved');
    expect(result.notes).toContain(KEY_HIDDEN_NOTE);
    const [net] = await database.db
      .select()
      .from(tables.nets)
      .where(eq(tables.nets.handle, result.handles['net']!));
    const [customer] = await database.db
      .select()
      .from(tables.customers)
      .where(eq(tables.customers.handle, result.handles['customer']!));
    expect(net?.publicComments).toEqual(['our key is API-****-****-****-DEF0 oops']);
    expect(customer?.name).toBe('Key Leak Co API-****-****-****-DEF0');
    const audit = await database.db
      .select()
      .from(tables.auditLog)
      .where(eq(tables.auditLog.submissionId, id));
    expect(audit.length).toBeGreaterThan(0);
    expect(JSON.stringify(audit)).not.toContain(LEAKED);
  });
});
