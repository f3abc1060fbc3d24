/**
 * `hostmasterd key issue / list / revoke` as an operator runs them while the daemon runs, after a
 * customer reports its key leaked: mail with the revoked key is refused as the docs say, the new
 * key works, the list never shows a key in clear, and each change is in the audit log.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyCommand } from '../../src/commands/key.ts';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { newRolePoc } from '../pipeline/support/forms.ts';
import { submit } from '../pipeline/support/session.ts';
import { commandOutput } from '../support/command-output.ts';
import { stubResolver } from '../support/dkim.ts';
import { type Stack, startStack } from '../support/stack.ts';

describe('hostmasterd key (PostgreSQL, daemon running)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      backend: 'postgres',
      resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }),
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function key(args: string[]) {
    const io = commandOutput();
    const code = await keyCommand(args, { config: stack.config, stdout: io.stdout, stderr: io.stderr });
    return { code, ...io.written() };
  }

  async function pocsNamed(name: string): Promise<number> {
    const rows = await stack.database.db.select().from(tables.pocs).where(eq(tables.pocs.lastName, name));
    return rows.length;
  }

  it('revokes a leaked key (refused from then on) and issues a new one that works', async () => {
    const issued = await key(['issue', 'demo-isp']);
    expect(issued).toMatchObject({ code: 0, stderr: '' });
    const newKey = /API key issued to demo-isp: (API(?:-[0-9A-F]{4}){4})\n/.exec(issued.stdout)?.[1];
    expect(newKey).toBeDefined();

    const revoked = await key(['revoke', DEMO_API_KEY.toLowerCase()]);
    expect(revoked).toMatchObject({ code: 0, stderr: '' });
    expect(revoked.stdout).toContain(`API key revoked: API-****-****-****-${DEMO_API_KEY.slice(-4)}`);
    // Twice is no second revocation.
    const again = await key(['revoke', DEMO_API_KEY]);
    expect(again.code).toBe(67);
    expect(again.stderr).toMatch(/E_OBJECT_NOT_FOUND: no active API key/);

    const listed = await key(['list', 'demo-isp']);
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(`^API-\\*{4}-\\*{4}-\\*{4}-${DEMO_API_KEY.slice(-4)}\\trevoked \\S+\\tissued \\S+$`),
      ),
      expect.stringMatching(
        new RegExp(`^API-\\*{4}-\\*{4}-\\*{4}-${newKey!.slice(-4)}\\tactive\\tissued \\S+$`),
      ),
    ]);
    expect(listed.stdout).not.toContain(newKey!.slice(4, 9));
    expect((await key(['list', 'nobody'])).code).toBe(67);

    // Mail with the revoked key, even from the account's own signed address: refused as an
    // unknown key is (never telling a guesser which keys existed), nothing applied.
    const refused = await submit(stack, [newRolePoc('Leaked Key NOC', 'leaked@demo-isp.example')], {
      subject: `POC ${DEMO_API_KEY}`,
      dkim: 'demo-isp.example',
    });
    expect(refused.reply.parsed.status).toBe('REJECTED');
    const codes = [
      refused.reply.parsed.refusal?.code,
      ...refused.reply.parsed.blocks.flatMap((b) => b.errors.map((e) => e.code)),
    ];
    expect(codes).toContain('E_INVALID_API_KEY');

    expect(await pocsNamed('Leaked Key NOC')).toBe(0);
    const accepted = await submit(stack, [newRolePoc('New Key NOC', 'newkey@demo-isp.example')], {
      subject: `POC ${newKey}`,
    });
    expect(accepted.reply.parsed.blocks[0]?.status).toBe('APPROVED');

    const audit = await stack.database.db
      .select({ action: tables.auditLog.action, actor: tables.auditLog.actor })
      .from(tables.auditLog)
      .where(
        and(
          eq(tables.auditLog.objectType, 'api_key'),
          eq(tables.auditLog.actor, 'operator (hostmasterd key)'),
        ),
      );
    expect(audit.map((a) => a.action).sort()).toEqual(['create', 'revoke']);
  });
});
