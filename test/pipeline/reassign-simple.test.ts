import fs from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { BACKENDS } from '../support/databases.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';

const fixture = (name: string) =>
  fs.readFileSync(new URL(`../fixtures/mail/${name}`, import.meta.url), 'utf8');

describe.each(BACKENDS)('a simple reassignment by e-mail (%s)', (backend) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('is applied, ticketed and answered with one machine-readable block', async () => {
    const raw = fixture('plain-reassign-simple-5.0.eml').replace(
      /^Subject: .*$/m,
      `Subject: REASSIGN SIMPLE ${DEMO_API_KEY}`,
    );
    const id = await stack.send(raw);
    const [reply] = await stack.replies(1);
    expect(reply!.mail.mailFrom).toBe('');
    expect(reply!.mail.rcptTo).toEqual(['noc@demo-isp.example']);
    expect(reply!.mail.raw).not.toContain(DEMO_API_KEY);
    const parsed = reply!.parsed;
    expect(parsed.status).toBe('APPROVED');
    expect(parsed.blocks).toHaveLength(1);
    const block = parsed.blocks[0]!;
    expect(block.form).toBe('ARIN-REASSIGN-SIMPLE-5.0');
    expect(block.status).toBe('APPROVED');
    expect(block.ticket).toMatch(/^\d{8}-X\d{7}$/);
    const netHandle = block.handles.find((h) => h.startsWith('NET-198-51-100-64'));
    expect(netHandle).toBeDefined();

    const [net] = await stack.database.db
      .select()
      .from(tables.nets)
      .where(eq(tables.nets.handle, netHandle!));
    expect(net).toMatchObject({
      type: 'simple_reassignment',
      name: 'DEMO-ACME-1',
      parentHandle: 'NET-198-51-100-0-1',
    });
    const [row] = await stack.database.db
      .select()
      .from(tables.submissionTemplates)
      .where(eq(tables.submissionTemplates.submissionId, id));
    expect(row).toMatchObject({ outcome: 'approved', ticketNumber: block.ticket });
    expect(JSON.stringify(row)).not.toContain(DEMO_API_KEY);
  });

  it('answers the same reassignment sent again APPROVED with the net it holds; other data over it is E_OVERLAP on field 03', async () => {
    stack.sink.accepted.length = 0;
    const resent = fixture('plain-reassign-simple-5.0.eml')
      .replace(/^Subject: .*$/m, `Subject: REASSIGN SIMPLE ${DEMO_API_KEY}`)
      .replace(/^Message-ID: .*$/m, 'Message-ID: <swip-0001-resent@demo-isp.example>');
    await stack.send(resent);
    const [again] = await stack.replies(1);
    const same = again!.parsed.blocks[0]!;
    expect(same.status).toBe('APPROVED');
    const net = same.handles.find((h) => h.startsWith('NET-198-51-100-64'));
    expect(same.notes[0]).toContain(`already registered as ${net}, nothing changed`);

    stack.sink.accepted.length = 0;
    await stack.send(
      resent
        .replace('Customer Name: Acme Widgets Inc', 'Customer Name: Another Customer Inc')
        .replace(/^Message-ID: .*$/m, 'Message-ID: <swip-0001-other@demo-isp.example>'),
    );
    const [reply] = await stack.replies(1);
    const block = reply!.parsed.blocks[0]!;
    expect(block.status).toBe('REJECTED');
    expect(block.errors[0]).toMatchObject({ code: 'E_OVERLAP', field: '03' });
    expect(block.errors[0]?.message).toContain('NET-198-51-100-64');
  });

  it('refuses a sender with no key and no DKIM, and does not mail an address nobody verified', async () => {
    stack.sink.accepted.length = 0;
    const body = fixture('plain-reassign-simple-5.0.eml')
      .split(/\r?\n\r?\n/)
      .slice(1)
      .join('\n\n');
    const id = await stack.send(mail({ body, subject: 'SWIP' }));
    await stack.processed(id);
    const [row] = await stack.database.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.submissionId, id));
    expect(row).toMatchObject({ reasonCode: 'E_SENDER_NOT_VERIFIED' });
    // Staff see why the sender heard nothing; the sentence for the sender says how to fix it.
    expect(row?.reason).toMatch(/API key.*not answered: unverified sender/s);
    await new Promise((r) => setTimeout(r, 500));
    expect(stack.sink.accepted).toEqual([]);
  });
});
