/**
 * Writes sent together (write-together.ts): all of them land, in one statement, inside the
 * caller's transaction; a rollback undoes all of them.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../../test/support/databases.ts';
import { connectExplainer, explainStatement, pagesRead, planNodes } from '../../test/support/query-plans.ts';
import { recordStatements, type SentStatement } from '../../test/support/statement-recorder.ts';
import { insertRows, queryRows, tables, updateRows, writeTogether } from './index.ts';

const { orgs, handleCounters } = tables;

const ORG_COLUMNS = ['handle', 'name', 'street', 'city', 'country'] as const;
const newOrg = (handle: string) => ({
  handle,
  name: handle,
  street: [] as string[],
  city: 'Reston',
  country: 'US',
});

describe.each(BACKENDS)('writes sent together, on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(async () => {
    await database?.close();
  });

  it('sends every write, the last one with the others as its CTEs, as one statement', async () => {
    await database.db.insert(orgs).values(newOrg('EARLIER-0'));
    const recorder = recordStatements();
    try {
      const { sent } = await recorder.during(() =>
        database.db.transaction(async (tx) => {
          await writeTogether(tx, [
            insertRows(orgs, ORG_COLUMNS, [newOrg('TOGETHER-1'), newOrg('TOGETHER-2')]),
            insertRows(handleCounters, ['name', 'last'], [{ name: 'together', last: 7 }]),
            insertRows(handleCounters, ['name', 'last'], []),
            updateRows(orgs, 'handle', ['handle', 'city'], [{ handle: 'EARLIER-0', city: 'Herndon' }]),
          ]);
        }),
      );
      // PGlite does not go through pg: only PostgreSQL's statements are counted.
      if (kind === 'postgres') expect(sent.filter((s) => !/^(begin|commit)$/i.test(s))).toHaveLength(1);
    } finally {
      recorder.restore();
    }
    const made = await queryRows<{ handle: string }>(
      database.db,
      sql`select ${orgs.handle} from ${orgs} where ${orgs.handle} like 'TOGETHER-%' order by 1`,
    );
    expect(made.map((r) => r.handle)).toEqual(['TOGETHER-1', 'TOGETHER-2']);
    const [counter] = await database.db
      .select()
      .from(handleCounters)
      .where(eq(handleCounters.name, 'together'));
    expect(counter?.last).toBe(7);
    const [updated] = await database.db.select().from(orgs).where(eq(orgs.handle, 'EARLIER-0'));
    expect(updated?.city).toBe('Herndon');
  });

  it('sends one text for any number of rows, and each value arrives as its column type', async () => {
    const { auditLog } = tables;
    const columns = [
      'actor',
      'action',
      'objectType',
      'objectHandle',
      'ticketNumber',
      'submissionId',
      'before',
      'after',
      'note',
    ] as const;
    const row = (handle: string, before: unknown, note: string | null) => ({
      actor: 'account:1',
      action: 'create',
      objectType: 'net',
      objectHandle: handle,
      ticketNumber: null,
      submissionId: null,
      before,
      after: { list: ['a,b', '{c}', 'd"e', 'Zoë 東京 🙂'], n: 1, nested: { x: null } },
      note,
    });
    const recorder = recordStatements();
    try {
      const { sent } = await recorder.during(async () => {
        await database.db.transaction(async (tx) => {
          await writeTogether(tx, [insertRows(auditLog, columns, [row('JSON-1', null, 'line\r\nbreak')])]);
        });
        await database.db.transaction(async (tx) => {
          await writeTogether(tx, [
            insertRows(auditLog, columns, [
              row('JSON-2', { was: 'x' }, 'lone \ud800 surrogate'),
              row('JSON-3', null, null),
            ]),
          ]);
        });
      });
      if (kind === 'postgres') {
        const texts = sent.filter((s) => !/^(begin|commit)$/i.test(s));
        expect(texts).toHaveLength(2);
        expect(texts[0]).toBe(texts[1]);
      }
    } finally {
      recorder.restore();
    }
    const rows = await database.db
      .select()
      .from(auditLog)
      .where(sql`${auditLog.objectHandle} like 'JSON-%'`)
      .orderBy(auditLog.id);
    // In the order given, the jsonb `null` as SQL NULL, text as sent (a lone surrogate as U+FFFD, as a parameter would be).
    expect(rows.map((r) => [r.objectHandle, r.before, r.note])).toEqual([
      ['JSON-1', null, 'line\r\nbreak'],
      ['JSON-2', { was: 'x' }, 'lone \ufffd surrogate'],
      ['JSON-3', null, null],
    ]);
    expect(rows[0]?.after).toEqual({ list: ['a,b', '{c}', 'd"e', 'Zoë 東京 🙂'], n: 1, nested: { x: null } });
    expect(rows[0]?.at).toBeInstanceOf(Date);
    const [counted] = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from ${auditLog} where ${auditLog.objectHandle} like 'JSON-%' and ${auditLog.before} is null`,
    );
    expect(counted?.n).toBe(2);
  });

  it('sends text as written, a paired surrogate and a written-out escape included; a lone one as U+FFFD', async () => {
    const texts = [
      'Zoë 🙂 東京',
      'a \\ud83d written out',
      'lone low \udc00 here',
      'lone high at the end \ud83d',
    ];
    await database.db.transaction(async (tx) => {
      await writeTogether(tx, [
        insertRows(
          orgs,
          ORG_COLUMNS,
          texts.map((city, i) => ({ ...newOrg(`TEXT-${i}`), city })),
        ),
      ]);
    });
    const rows = await database.db
      .select({ handle: orgs.handle, city: orgs.city })
      .from(orgs)
      .where(sql`${orgs.handle} like 'TEXT-%'`)
      .orderBy(orgs.handle);
    expect(rows.map((r) => r.city)).toEqual([
      'Zoë 🙂 東京',
      'a \\ud83d written out',
      'lone low \ufffd here',
      'lone high at the end \ufffd',
    ]);
  });

  it('is undone with the transaction, and sends nothing for no writes', async () => {
    await expect(
      database.db.transaction(async (tx) => {
        await writeTogether(tx, []);
        await writeTogether(tx, [
          insertRows(orgs, ORG_COLUMNS, [newOrg('TOGETHER-3')]),
          insertRows(orgs, ORG_COLUMNS, [newOrg('TOGETHER-4')]),
        ]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const left = await queryRows<{ n: number }>(
      database.db,
      sql`select count(*)::int as n from ${orgs} where ${orgs.handle} in ('TOGETHER-3', 'TOGETHER-4')`,
    );
    expect(left[0]?.n).toBe(0);
  });
});

describe('an update by key among writes sent together, on postgres', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase('postgres');
  });
  afterAll(async () => {
    await database?.close();
  });

  it('reads the rows it updates by the key, not the whole table', async () => {
    // Enough rows that a scan reads dozens of pages, too few for the planner to prefer the index
    // on its own estimate of the JSON rows (a function's 100): every message's `done` mark.
    const many = Array.from({ length: 3000 }, (_, i) => newOrg(`MANY-${i}`));
    for (let i = 0; i < many.length; i += 500) await database.db.insert(orgs).values(many.slice(i, i + 500));
    await database.db.execute(sql`analyze ${orgs}`);
    const recorder = recordStatements();
    let statement: SentStatement | undefined;
    try {
      const { sent } = await recorder.withValues(() =>
        database.db.transaction(async (tx) => {
          await writeTogether(tx, [
            insertRows(handleCounters, ['name', 'last'], []),
            updateRows(orgs, 'handle', ['handle', 'city'], [{ handle: 'MANY-1234', city: 'Herndon' }]),
          ]);
        }),
      );
      statement = sent.find((s) => /update/i.test(s.text));
    } finally {
      recorder.restore();
    }
    const [updated] = await database.db.select().from(orgs).where(eq(orgs.handle, 'MANY-1234'));
    expect(updated?.city).toBe('Herndon');
    const explainer = await connectExplainer((database.target as { url: string }).url);
    try {
      await explainer.query('begin');
      const plan = await explainStatement(explainer, statement!, { analyze: true });
      await explainer.query('rollback');
      const scans = planNodes(plan).filter(
        (n) => n['Relation Name'] === 'orgs' && n['Node Type'] === 'Seq Scan',
      );
      expect(scans).toEqual([]);
      expect(pagesRead(plan)).toBeLessThan(40);
    } finally {
      await explainer.end();
    }
  });
});
