/**
 * An MTA's pipe: `hostmasterd submit < message.eml` as a real child process, against the
 * running daemon's PostgreSQL and Redis. Exit 0 prints the submission id, and the reply arrives
 * just as for mail that came over SMTP.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { netByName, replyFor } from './support/outcomes.ts';
import { processEnv, runCommand, submissionId } from './support/processes.ts';

const fixture = (name: string) =>
  fs.readFileSync(new URL(`../fixtures/mail/${name}`, import.meta.url), 'utf8');

describe('hostmasterd submit, piped from an MTA (postgres)', () => {
  let stack: Stack;
  let env: Record<string, string>;

  beforeAll(async () => {
    stack = await startStack({ backend: 'postgres' });
    const target = stack.config.database;
    if (target.kind !== 'postgres') throw new Error('needs PostgreSQL');
    env = await processEnv({ DATABASE_URL: target.url, REDIS_URL: stack.redis.url });
  });
  afterAll(async () => {
    await stack?.close();
    if (env) fs.rmSync(env['DATA_DIR']!, { recursive: true, force: true });
  });

  it('exits 0 with the submission id, and the reply arrives', async () => {
    const raw = fixture('mta-pipe-reassign-simple.eml').replace('SWIP-KEY', DEMO_API_KEY);
    const result = await runCommand(['submit', 'noc@demo-isp.example', 'hostmaster@localhost'], env, raw);
    expect(result.code, result.stderr).toBe(0);
    const id = submissionId(result.stdout);
    expect(id).toMatch(/^S[0-9A-Z]+$/);

    const reply = await replyFor(stack.sink, id);
    expect(reply.mail.rcptTo).toEqual(['noc@demo-isp.example']);
    expect(reply.parsed.headers?.inReplyTo).toBe('<mta-pipe-0042@demo-isp.example>');
    expect(reply.parsed.blocks.map((b) => [b.form, b.status])).toEqual([
      ['ARIN-REASSIGN-SIMPLE-5.3', 'APPROVED'],
    ]);
    expect(await netByName(stack.database.db, 'DEMO-PIPED-1')).toHaveLength(1);

    // The MTA delivers the same message again (it did not see our exit code): nothing new.
    const again = await runCommand(['submit', 'noc@demo-isp.example', 'hostmaster@localhost'], env, raw);
    expect(again.code, again.stderr).toBe(0);
    expect(submissionId(again.stdout)).toBe(id);
  });

  it('exits 65 for something that is not a mail at all', async () => {
    const result = await runCommand(['submit'], env, '');
    expect(result.code).toBe(65);
    expect(result.stderr).toMatch(/refused/);
  });
});
