import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './index.ts';

describe('loadConfig', () => {
  it('gives the embedded defaults (the configuration table of README.md)', () => {
    const c = loadConfig({}, {}, '/srv/h');
    expect(c.roles).toEqual(['ingress', 'worker', 'console', 'public']);
    expect(c.public).toEqual({
      host: '127.0.0.1',
      whoisPort: 4343,
      rdapPort: 8081,
      url: undefined,
      queriesPerMinute: 300,
      trustProxy: [],
    });
    expect(c.smtp).toMatchObject({ host: '127.0.0.1', port: 2525 });
    expect(c.hostmasterAddresses).toEqual(['hostmaster@localhost']);
    expect(c.database).toEqual({ kind: 'pglite', dataDir: path.join('/srv/h/data', 'pglite') });
    expect(c.redis.kind).toBe('embedded');
    expect(c.replies.transport).toEqual({ kind: 'folder', dir: '/srv/h/data/outbox' });
    expect(c.replies.style).toBe('digest');
    expect(c.console).toEqual({
      host: '127.0.0.1',
      port: 8080,
      trustProxy: [],
      secureCookies: 'auto',
      signInFirstWaitMs: 1_000,
      signInMaxWaitMs: 300_000,
    });
    expect(c.limits.maxTemplatesPerMessage).toBe(10);
    expect(c.senderAuth).toBe('dkim');
    expect(c.workerMaxStalledCount).toBe(1);
    expect(c.outboxLeaseMs).toBe(30_000);
    expect(c.limits.repliesPerRecipientPerHour).toBe(20);
    expect(c.dns).toEqual({ budgetMs: 2000, concurrency: 8 });
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
        WORKER_MAX_STALLED_COUNT: '3',
        OUTBOX_LEASE_MS: '45000',
        REPLY_LIMIT_PER_RECIPIENT_PER_HOUR: '5',
        DNS_BUDGET_MS: '750',
        DNS_CONCURRENCY: '3',
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
    expect(c.workerMaxStalledCount).toBe(3);
    expect(c.outboxLeaseMs).toBe(45_000);
    expect(c.limits.repliesPerRecipientPerHour).toBe(5);
    expect(c.dns).toEqual({ budgetMs: 750, concurrency: 3 });
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
    [{ OUTBOX_LEASE_MS: '500' }, {}, /OUTBOX_LEASE_MS: "500" is too small \(at least 1000\)/],
    [{ WORKER_MAX_STALLED_COUNT: '0' }, {}, /WORKER_MAX_STALLED_COUNT: "0" is not a positive whole number/],
    [{ DNS_BUDGET_MS: '0' }, {}, /DNS_BUDGET_MS: "0" is not a positive whole number/],
    [{ REPLY_LIMIT_PER_RECIPIENT_PER_HOUR: 'many' }, {}, /REPLY_LIMIT_PER_RECIPIENT_PER_HOUR/],
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

  it('reads DRY_RUN_ADDRESS (never one of the hostmaster addresses) and PUBLIC_URL (a web URL)', () => {
    const config = loadConfig({
      DRY_RUN_ADDRESS: 'Hostmaster-Test@Registry.Example',
      PUBLIC_URL: 'https://registry.example/',
    });
    expect(config.dryRunAddresses).toEqual(['hostmaster-test@registry.example']);
    expect(config.public.url).toBe('https://registry.example');
    expect(loadConfig({}).dryRunAddresses).toEqual([]);
    expect(loadConfig({}).public.url).toBeUndefined();
    expect(() => loadConfig({ DRY_RUN_ADDRESS: 'hostmaster@localhost' })).toThrow(
      /DRY_RUN_ADDRESS: "hostmaster@localhost" is also in HOSTMASTER_ADDRESSES/,
    );
    expect(() => loadConfig({ DRY_RUN_ADDRESS: 'not an address' })).toThrow(/DRY_RUN_ADDRESS/);
    expect(() => loadConfig({ PUBLIC_URL: 'ftp://registry.example' })).toThrow(/PUBLIC_URL/);
  });

  it("reads EMBEDDED_WAL_WRITER_DELAY_MS for the embedded database (unset: its WAL writer's own delay)", () => {
    expect(loadConfig({ EMBEDDED_WAL_WRITER_DELAY_MS: '50' }, {}, '/srv/h').database).toEqual({
      kind: 'pglite',
      dataDir: path.join('/srv/h/data', 'pglite'),
      walWriterDelayMs: 50,
    });
    expect(() => loadConfig({ EMBEDDED_WAL_WRITER_DELAY_MS: '0' })).toThrow(/EMBEDDED_WAL_WRITER_DELAY_MS/);
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
    // What fastify would refuse at start (a /40 of IPv4) or read as another address (1.2.3 is 1.2.0.3).
    for (const [variable, value] of [
      ['PUBLIC_TRUST_PROXY', '10.0.0.0/40'],
      ['PUBLIC_TRUST_PROXY', '1.2.3'],
      ['CONSOLE_TRUST_PROXY', '2001:db8::/129'],
      ['CONSOLE_TRUST_PROXY', '10.0.0.0/8/8'],
    ] as const) {
      expect(() => loadConfig({ [variable]: value })).toThrow(
        `${variable}: "${value}" is not an IP address or CIDR range`,
      );
    }
    expect(loadConfig({ PUBLIC_TRUST_PROXY: '10.0.0.0/8, 2001:db8::/32' }).public.trustProxy).toEqual([
      '10.0.0.0/8',
      '2001:db8::/32',
    ]);
    expect(() => loadConfig({ CONSOLE_SECURE_COOKIES: 'yes' })).toThrow(
      'CONSOLE_SECURE_COOKIES: "yes" is not one of auto, always, never',
    );
  });

  it('reads the POC validation settings: daily at 03:00 UTC, 600 mails an hour', () => {
    expect(loadConfig({}).validation).toEqual({ mailsPerHour: 600, runAt: { hour: 3, minute: 0 } });
    const c = loadConfig({ VALIDATION_RUN_AT: '23:05', VALIDATION_MAILS_PER_HOUR: '60' });
    expect(c.validation).toEqual({ mailsPerHour: 60, runAt: { hour: 23, minute: 5 } });
    expect(loadConfig({ VALIDATION_RUN_AT: 'OFF' }).validation.runAt).toBeUndefined();
    expect(() => loadConfig({ VALIDATION_RUN_AT: '24:00' })).toThrow(
      'VALIDATION_RUN_AT: "24:00" is not a time of day HH:MM (UTC) or off',
    );
  });

  it('reads one public base URL, PUBLIC_URL, for RDAP links, the blank forms and the validation link', () => {
    expect(loadConfig({}).public.url).toBeUndefined();
    expect(loadConfig({ PUBLIC_URL: 'https://whois.registry.example/' }).public.url).toBe(
      'https://whois.registry.example',
    );
    expect(() => loadConfig({ PUBLIC_URL: 'whois.example' })).toThrow(/PUBLIC_URL/);
  });
});
