/**
 * When the console's cookies carry `Secure`, and whose X-Forwarded-* it believes: over HTTPS
 * (as a trusted proxy says), always, or never, by CONSOLE_TRUST_PROXY and CONSOLE_SECURE_COOKIES.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { createStaffUser } from '../../src/console/index.ts';
import { buildConsole } from '../../src/console/server.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';

type Console = Awaited<ReturnType<typeof buildConsole>>;

const EMAIL = 'proxy-test@registry.example';
const PASSWORD = 'a long proxy passphrase';

async function cookiesOf(
  console: Console,
  from: { remoteAddress: string; headers?: Record<string, string> },
): Promise<Record<string, { secure: boolean }>> {
  const form = await console.app.inject({ method: 'GET', url: '/login', ...from });
  const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  const csrfCookie = form.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const signedIn = await console.app.inject({
    method: 'POST',
    url: '/login',
    remoteAddress: from.remoteAddress,
    headers: { ...from.headers, cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: token, email: EMAIL, password: PASSWORD }).toString(),
  });
  expect(signedIn.statusCode).toBe(303);
  const all = [...form.cookies, ...signedIn.cookies];
  return Object.fromEntries(all.map((c) => [c.name, { secure: c.secure === true }]));
}

describe('Secure cookies and trusted proxies', () => {
  let database: TestDatabase;
  const consoles: Console[] = [];
  const open = async (env: Record<string, string>) => {
    const built = await buildConsole({ config: loadConfig(env), db: database.db });
    consoles.push(built);
    return built;
  };
  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    const staff = await createStaffUser(database.db, EMAIL, PASSWORD, { oneTime: false });
    if (!staff.ok) throw new Error(staff.error.message);
  });
  afterAll(async () => {
    for (const c of consoles) await c.close();
    await database?.close();
  });

  const httpsViaProxy = { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7' };

  it('auto: Secure when a trusted proxy says HTTPS; a client saying so itself is not believed', async () => {
    const untrusting = await open({});
    expect(await cookiesOf(untrusting, { remoteAddress: '127.0.0.1', headers: httpsViaProxy })).toEqual({
      _csrf: { secure: false },
      hm_session: { secure: false },
    });
    const behindProxy = await open({ CONSOLE_TRUST_PROXY: '127.0.0.1' });
    expect(await cookiesOf(behindProxy, { remoteAddress: '127.0.0.1', headers: httpsViaProxy })).toEqual({
      _csrf: { secure: true },
      hm_session: { secure: true },
    });
    expect(await cookiesOf(behindProxy, { remoteAddress: '127.0.0.1' })).toEqual({
      _csrf: { secure: false },
      hm_session: { secure: false },
    });
    // Not the proxy: its header is ignored.
    expect(await cookiesOf(behindProxy, { remoteAddress: '203.0.113.9', headers: httpsViaProxy })).toEqual({
      _csrf: { secure: false },
      hm_session: { secure: false },
    });
  });

  it('always and never decide alone', async () => {
    const always = await open({ CONSOLE_SECURE_COOKIES: 'always' });
    expect(await cookiesOf(always, { remoteAddress: '127.0.0.1' })).toEqual({
      _csrf: { secure: true },
      hm_session: { secure: true },
    });
    const never = await open({ CONSOLE_SECURE_COOKIES: 'never', CONSOLE_TRUST_PROXY: '127.0.0.1' });
    expect(await cookiesOf(never, { remoteAddress: '127.0.0.1', headers: httpsViaProxy })).toEqual({
      _csrf: { secure: false },
      hm_session: { secure: false },
    });
  });

  it('sends Strict-Transport-Security only over HTTPS', async () => {
    const behindProxy = await open({ CONSOLE_TRUST_PROXY: '127.0.0.1' });
    const https = await behindProxy.app.inject({
      method: 'GET',
      url: '/login',
      remoteAddress: '127.0.0.1',
      headers: httpsViaProxy,
    });
    expect(https.headers['strict-transport-security']).toBe('max-age=31536000');
    const http = await behindProxy.app.inject({ method: 'GET', url: '/login', remoteAddress: '127.0.0.1' });
    expect(http.headers['strict-transport-security']).toBeUndefined();
  });
});
