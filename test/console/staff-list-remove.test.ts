/**
 * `hostmasterd staff list` and `staff remove EMAIL` as an operator runs them against a running
 * daemon: a removed account's open session ends at once and it cannot sign in again; the
 * console lists the accounts; bull-board's page (/queues) leads back to the console.
 */
import { PassThrough, Readable } from 'node:stream';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { staffCommand } from '../../src/commands/staff.ts';
import { tables } from '../../src/db/index.ts';
import {
  type ConsoleStack,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  startConsoleStack,
} from './support/console-stack.ts';
import { pageText, signIn } from './support/sign-in.ts';

function output(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk) => {
    text += chunk.toString();
  });
  return { stream, text: () => text };
}

describe('hostmasterd staff list / remove, and the staff page of the console (PostgreSQL)', () => {
  let stack: ConsoleStack;

  async function staff(args: string[], stdin: string[] = []) {
    const out = output();
    const err = output();
    const code = await staffCommand(args, {
      config: stack.config,
      stdout: out.stream,
      stderr: err.stream,
      stdin: Readable.from(stdin),
    });
    return { code, out: out.text(), err: err.text() };
  }

  beforeAll(async () => {
    stack = await startConsoleStack();
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('lists the accounts, removes one (its session ends at once), and says so', async () => {
    expect((await staff(['add', 'Bob@Registry.example'], ['a long enough passphrase\n'])).code).toBe(0);
    const bob = await signIn(stack.baseUrl, 'bob@registry.example', 'a long enough passphrase');
    expect((await bob('/rejections')).status).toBe(200);

    const listed = await staff(['list']);
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`^${STAFF_EMAIL}\\tactive\\tcreated \\S+$`, 'm'));
    expect(listed.out).toMatch(/^bob@registry\.example\tactive\tcreated \S+$/m);

    const removed = await staff(['remove', 'BOB@registry.example']);
    expect(removed).toMatchObject({ code: 0, err: '' });
    expect(removed.out).toContain('staff account removed: bob@registry.example');
    // The open session is gone: the next page is the sign-in form.
    const after = await bob('/rejections');
    expect(after.status).toBe(303);
    await expect(signIn(stack.baseUrl, 'bob@registry.example', 'a long enough passphrase')).rejects.toThrow();

    expect((await staff(['list'])).out).toMatch(/^bob@registry\.example\tremoved \S+\tcreated \S+$/m);
    const again = await staff(['remove', 'bob@registry.example']);
    expect(again.err).toContain(
      'E_STAFF_REMOVED: the staff account bob@registry.example was already removed',
    );
    const nobody = await staff(['remove', 'nobody@registry.example']);
    expect(nobody.code).toBe(67);
    expect(nobody.err).toContain('E_STAFF_UNKNOWN: there is no staff account for nobody@registry.example');
    expect((await staff(['remove'])).code).toBe(64);
  });

  it('reinstates a removed account with staff add and a new password: the same account, audited, its old sessions still ended', async () => {
    expect((await staff(['add', 'carol@registry.example'], ['a sturdy opening passphrase\n'])).code).toBe(0);
    const old = await signIn(stack.baseUrl, 'carol@registry.example', 'a sturdy opening passphrase');
    expect((await staff(['remove', 'carol@registry.example'])).code).toBe(0);

    const back = await staff(['add', 'Carol@Registry.example'], ['a sturdy returning passphrase\n']);
    expect(back).toMatchObject({ code: 0, err: '' });
    expect(back.out).toMatch(/^staff account reinstated: carol@registry\.example \(removed \S+; /);
    expect((await staff(['list'])).out).toMatch(/^carol@registry\.example\tactive\tcreated \S+$/m);
    // The session of before the removal stays ended; the new password signs in.
    expect((await old('/rejections')).status).toBe(303);
    const carol = await signIn(stack.baseUrl, 'carol@registry.example', 'a sturdy returning passphrase');
    expect((await carol('/rejections')).status).toBe(200);
    const [audit] = await stack.db
      .select()
      .from(tables.auditLog)
      .where(
        and(
          eq(tables.auditLog.action, 'staff.reinstate'),
          eq(tables.auditLog.objectHandle, 'carol@registry.example'),
        ),
      );
    expect(audit).toBeDefined();
    // An active account is still not added twice.
    const twice = await staff(['add', 'carol@registry.example'], ['a sturdy third passphrase\n']);
    expect(twice.code).toBe(73);
    expect(twice.err).toContain('already exists and is active');
  });

  it('shows the staff accounts in the console, and bull-board leads back to it', async () => {
    const alice = await signIn(stack.baseUrl, STAFF_EMAIL, STAFF_PASSWORD);
    const page = await alice('/staff');
    expect(page.status).toBe(200);
    const text = pageText(page.body);
    expect(text).toContain(STAFF_EMAIL);
    expect(text).toMatch(/bob@registry\.example\s*removed/);
    expect(page.body).toContain('<a href="/staff" aria-current="page">Staff</a>');

    const board = await alice('/queues');
    expect(board.status).toBe(200);
    const config = /<script id="__UI_CONFIG__" type="application\/json">([^<]*)<\/script>/.exec(
      board.body,
    )?.[1];
    expect(JSON.parse(config ?? '{}')).toMatchObject({
      miscLinks: [{ text: 'Back to the staff console', url: '/rejections' }],
    });
  });
});
