import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.ts';

describe('loadConfig', () => {
  it("gives the embedded defaults of the README's configuration table", () => {
    const c = loadConfig({}, {}, '/srv/h');
    expect(c.roles).toEqual(['ingress', 'worker', 'console']);
    expect(c.smtp).toMatchObject({ host: '127.0.0.1', port: 2525 });
    expect(c.hostmasterAddresses).toEqual(['hostmaster@localhost']);
    expect(c.database).toEqual({ kind: 'pglite', dataDir: path.join('/srv/h/data', 'pglite') });
    expect(c.redis.kind).toBe('embedded');
    expect(c.replies.transport).toEqual({ kind: 'folder', dir: '/srv/h/data/outbox' });
    expect(c.replies.style).toBe('digest');
    expect(c.console).toEqual({ host: '127.0.0.1', port: 8080, trustProxy: [], secureCookies: 'auto' });
    expect(c.limits.maxTemplatesPerMessage).toBe(10);
    expect(c.senderAuth).toBe('dkim');
  });

  it('reads every variable', () => {
    const c = loadConfig(
      {
        SMTP_HOST: '0.0.0.0',
        SMTP_PORT: '25',
        HOSTMASTER_ADDRESSES: 'Hostmaster@Example.net, reg@example.net',
        DATABASE_URL: 'postgres://u:p@db:5432/h',
        REDIS_URL: 'redis://redis:6379',
        REPLY_SMTP_URL: 'smtp://127.0.0.1:2526',
        REPLY_FROM: 'Registry <hostmaster@example.net>',
        REPLY_STYLE: 'per-template',
        CONSOLE_PORT: '9000',
        DATA_DIR: '/var/lib/h',
      },
      { roles: ['worker', 'worker', 'console'] },
    );
    expect(c.roles).toEqual(['worker', 'console']);
    expect(c.smtp.port).toBe(25);
    expect(c.hostmasterAddresses).toEqual(['hostmaster@example.net', 'reg@example.net']);
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://u:p@db:5432/h' });
    expect(c.redis).toEqual({ kind: 'url', url: 'redis://redis:6379' });
    expect(c.replies).toEqual({
      transport: { kind: 'smtp', url: 'smtp://127.0.0.1:2526' },
      from: 'Registry <hostmaster@example.net>',
      style: 'per-template',
    });
    expect(c.dataDir).toBe('/var/lib/h');
  });

  it.each([
    [{ SMTP_PORT: 'abc' }, {}, /SMTP_PORT: "abc" is not a TCP port/],
    [{ CONSOLE_PORT: '70000' }, {}, /CONSOLE_PORT/],
    [{ DATABASE_URL: 'mysql://x' }, {}, /DATABASE_URL: "mysql:\/\/x" must start with postgres:\/\//],
    [{ DATABASE_URL: 'postgres://u:secret@' }, {}, /^(?!.*secret)/],
    [{ REDIS_URL: 'not a url' }, {}, /REDIS_URL: "not a url" is not a URL/],
    [{ REPLY_STYLE: 'fancy' }, {}, /REPLY_STYLE: "fancy" is not one of digest, per-template/],
    [{ HOSTMASTER_ADDRESSES: 'nobody' }, {}, /HOSTMASTER_ADDRESSES: "nobody"/],
    [{}, { roles: ['mailer'] }, /--role: "mailer" is not a role/],
  ])('refuses %o %o with one sentence naming the variable', (env, flags, pattern) => {
    let message = '';
    try {
      loadConfig(env, flags);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^E_CONFIG: /);
    expect(message).toMatch(pattern);
  });

  it('reads the proxies the console trusts and when its cookies are Secure, refusing to trust anyone', () => {
    const c = loadConfig({
      CONSOLE_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1',
      CONSOLE_SECURE_COOKIES: 'Always',
    });
    expect(c.console).toMatchObject({
      trustProxy: ['127.0.0.1', '10.0.0.0/8', '::1'],
      secureCookies: 'always',
    });
    for (const value of ['true', '1', '2']) {
      expect(() => loadConfig({ CONSOLE_TRUST_PROXY: value })).toThrow(
        /E_CONFIG: CONSOLE_TRUST_PROXY: "\w+" would believe X-Forwarded-\* from whoever connects/,
      );
    }
    expect(() => loadConfig({ CONSOLE_TRUST_PROXY: 'proxy.example' })).toThrow(
      'CONSOLE_TRUST_PROXY: "proxy.example" is not an IP address or CIDR range',
    );
    expect(() => loadConfig({ CONSOLE_SECURE_COOKIES: 'yes' })).toThrow(
      'CONSOLE_SECURE_COOKIES: "yes" is not one of auto, always, never',
    );
  });
});
