/**
 * Several console processes (a restart, or replicas behind one address) sign the CSRF cookie with
 * one secret kept in the database: a form served by one is accepted by another; a console on a
 * different database (another secret) still refuses it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { buildConsole } from '../../src/console/server.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';

type Console = Awaited<ReturnType<typeof buildConsole>>;

async function loginForm(console: Console): Promise<{ token: string; cookie: string }> {
  const page = await console.app.inject({ method: 'GET', url: '/login' });
  const token = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  const cookie = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  if (!token || !cookie) throw new Error('the sign-in form carries no CSRF token or cookie');
  return { token, cookie };
}

async function signInWith(console: Console, form: { token: string; cookie: string }) {
  return console.app.inject({
    method: 'POST',
    url: '/login',
    headers: { cookie: form.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      _csrf: form.token,
      email: 'nobody@registry.example',
      password: 'not a password',
    }).toString(),
  });
}

describe('the console processes share their CSRF secret', () => {
  let database: TestDatabase;
  let elsewhere: TestDatabase;
  const consoles: Console[] = [];
  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    elsewhere = await openTestDatabase('pglite');
    const config = loadConfig({});
    for (const db of [database.db, database.db, elsewhere.db])
      consoles.push(await buildConsole({ config, db }));
  });
  afterAll(async () => {
    for (const c of consoles) await c.close();
    await database?.close();
    await elsewhere?.close();
  });

  it('a form from one console is accepted by another on the same database, not by a stranger', async () => {
    const [first, second, stranger] = consoles as [Console, Console, Console];
    const form = await loginForm(first);
    const same = await signInWith(second, form);
    // Past the CSRF check: the sign-in itself answers (an unknown address), not the token refusal.
    expect(same.statusCode).not.toBe(403);
    expect(same.body).not.toContain('valid security token');
    const other = await signInWith(stranger, form);
    expect(other.statusCode).toBe(403);
    expect(other.body).toContain('valid security token');
  });
});
