/**
 * A password is changed because it may have leaked: every other session of the account ends
 * (whoever signed in with the old password gets the sign-in page), the session the change was
 * made in stays; "sign out everywhere" ends them all. Over HTTP, each browser with its own cookies
 * and CSRF token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { createStaffUser } from '../../src/console/index.ts';
import { buildConsole } from '../../src/console/server.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { ConsoleClient } from './support/http-client.ts';
import { pageText } from './support/sign-in.ts';

const EMAIL = 'owner@registry.example';
const OLD = 'the old leaked passphrase';
const NEW = 'a fresh unleaked passphrase';

describe('sessions when a password changes', () => {
  let database: TestDatabase;
  let console: Awaited<ReturnType<typeof buildConsole>>;
  let baseUrl: string;

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    const staff = await createStaffUser(database.db, EMAIL, OLD, { oneTime: false });
    if (!staff.ok) throw new Error(staff.error.message);
    console = await buildConsole({ config: loadConfig({}), db: database.db });
    baseUrl = await console.app.listen({ host: '127.0.0.1', port: 0 });
  }, 120_000);
  afterAll(async () => {
    await console?.close();
    await database?.close();
  });

  async function signedIn(password: string): Promise<ConsoleClient> {
    const browser = new ConsoleClient(baseUrl);
    expect((await browser.signIn(EMAIL, password)).status).toBe(303);
    expect((await browser.get('/rejections')).status).toBe(200);
    return browser;
  }

  const isSignedOut = async (browser: ConsoleClient) => {
    const page = await browser.get('/rejections');
    return page.status === 303 && page.headers.get('location')!.startsWith('/login');
  };

  it('ends the other sessions and keeps the one the password was changed in', async () => {
    const thief = await signedIn(OLD);
    const owner = await signedIn(OLD);
    await owner.get('/password');
    const changed = await owner.post('/password', {
      current_password: OLD,
      new_password: NEW,
      repeat_password: NEW,
    });
    expect(changed.status).toBe(303);
    const after = await owner.get(changed.headers.get('location')!);
    const landed = after.status === 303 ? await owner.get(after.headers.get('location')!) : after;
    expect(pageText(landed.body)).toContain('Your new password is set. Your other session was signed out.');

    expect(await isSignedOut(thief)).toBe(true);
    // Its old CSRF token and cookie act on nothing: a POST leads to the sign-in page too.
    const posted = await thief.post('/rejections/bulk', { action: 'dismiss', id: '1', note: 'x' });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toMatch(/^\/login/);
    expect(await isSignedOut(owner)).toBe(false);
    // The old password signs nobody in; the new one does.
    expect((await new ConsoleClient(baseUrl).signIn(EMAIL, OLD)).status).toBe(401);
    await signedIn(NEW);
  });

  it('"sign out everywhere" ends every session of the account, this one too', async () => {
    const laptop = await signedIn(NEW);
    const desk = await signedIn(NEW);
    await laptop.get('/password');
    const out = await laptop.post('/logout', { everywhere: 'yes' });
    expect(out.status).toBe(303);
    expect(await isSignedOut(laptop)).toBe(true);
    expect(await isSignedOut(desk)).toBe(true);
  });

  it('a plain sign-out ends only its own session', async () => {
    const laptop = await signedIn(NEW);
    const desk = await signedIn(NEW);
    await laptop.get('/rejections');
    expect((await laptop.post('/logout')).status).toBe(303);
    expect(await isSignedOut(laptop)).toBe(true);
    expect(await isSignedOut(desk)).toBe(false);
  });
});
