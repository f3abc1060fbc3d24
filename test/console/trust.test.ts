/**
 * What an attacker tried against the staff console, against the whole daemon (real SMTP, worker,
 * PostgreSQL, Redis) and in Debian's chromium: bouncing a sign-in to another site, acting through
 * bull-board or a job written to Redis by hand, guessing passwords in parallel, reusing a CSRF
 * token across sessions, passing a look-alike address, and the security headers (CSP included,
 * with bull-board still working under it).
 */
import { Queue } from 'bullmq';
import { and, eq } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  consoleQueueFrom,
  DEFAULT_SIGN_IN_THROTTLE,
  type RunningConsole,
  signedStaffJob,
  startConsole,
} from '../../src/console/index.ts';
import { tables } from '../../src/db/index.ts';
import { SUBMISSIONS_QUEUE, SubmissionQueue } from '../../src/queue/index.ts';
import { DEMO_API_KEY, DEMO_SENDER } from '../../src/registry/index.ts';
import { launchBrowser, type TestBrowser } from './support/browser.ts';
import {
  type ConsoleStack,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  startConsoleStack,
} from './support/console-stack.ts';
import { ConsoleClient } from './support/http-client.ts';
import { seedRejectedSubmission, simpleTemplate } from './support/rows.ts';

let stack: ConsoleStack;
let browser: TestBrowser;
let bullQueue: Queue;
/** A /30 the worker refused with E_PREFIX_TOO_SMALL: what a forged override would apply. */
let tooSmall: { submissionId: string; rejectionId: number };

beforeAll(async () => {
  [stack, browser] = await Promise.all([startConsoleStack(), launchBrowser({ javaScript: true })]);
  if (stack.config.redis.kind !== 'url') throw new Error('the console stack runs on a Redis URL');
  bullQueue = new Queue(SUBMISSIONS_QUEUE, { connection: { url: stack.config.redis.url } });
  const messageId = await stack.send({
    from: `Demo ISP billing <${DEMO_SENDER}>`,
    subject: 'REASSIGN SIMPLE 198.51.100.200/30',
    text: `${simpleTemplate('198.51.100.200/30', 'FORGED-TINY', DEMO_API_KEY)}\n`,
  });
  tooSmall = await stack.rejectionFor(messageId);
  expect(tooSmall).toMatchObject({ reasonCode: 'E_PREFIX_TOO_SMALL' });
}, 120_000);

afterAll(async () => {
  await bullQueue?.close();
  await browser?.close();
  await stack?.stop();
});

async function signInPage(p: Page): Promise<void> {
  await p.fill('input[name=email]', STAFF_EMAIL);
  await p.fill('input[name=password]', STAFF_PASSWORD);
  await p.click('button:has-text("Sign in")');
}

describe('where sign-in leads (item 6)', () => {
  /** What follows `next=` in the address bar, as an attacker would write it in a link. */
  const hostile = [
    '/%09/evil.example/phish',
    '/%0d%0aSet-Cookie:%20hm_session=x',
    '/%0d%0a/evil.example',
    '/%E3%80%82/evil.example',
    '/%E3%80%82evil.example',
    '//evil.example',
    '/\\evil.example',
    '%2F%5Cevil.example',
    '/%5Cevil.example',
    '/%5C/evil.example',
    'https://evil.example/',
    'https:evil.example',
    '%2F%2Fevil.example',
    '/..//evil.example',
    '/rejections/..//evil.example',
    '/%2e%2e//evil.example',
    '/%20/evil.example',
    '/%0a/evil.example',
    'javascript:alert(1)',
    `/rejections?q=${'a'.repeat(3_000)}`,
    '/logout',
    '/queues/api/queues',
    '/submissions/..%2F..%2Fevil',
  ];

  it.each(hostile)('next=%s lands on the console, never elsewhere and never an error', async (next) => {
    const p = await browser.context.newPage();
    try {
      await p.context().clearCookies();
      const loginPage = await p.goto(`${stack.baseUrl}/login?next=${next}`);
      expect(loginPage?.status()).toBe(200);
      await signInPage(p);
      await p.waitForLoadState('load');
      const landed = new URL(p.url());
      expect(landed.origin).toBe(stack.baseUrl);
      expect(landed.pathname).toBe('/rejections');
      expect(await p.textContent('h1')).toContain('Rejection queue');
    } finally {
      await p.close();
    }
  });

  it('still leads back to a page of ours, with its query, when that is where the visitor was', async () => {
    const p = await browser.context.newPage();
    try {
      await p.context().clearCookies();
      await p.goto(`${stack.baseUrl}/submissions/${tooSmall.submissionId}`);
      expect(new URL(p.url()).pathname).toBe('/login');
      await signInPage(p);
      await p.waitForURL((url) => url.pathname !== '/login', { timeout: 90_000 });
      expect(new URL(p.url()).pathname).toBe(`/submissions/${tooSmall.submissionId}`);
      await p.context().clearCookies();
      await p.goto(`${stack.baseUrl}/rejections?reason=E_PREFIX_TOO_SMALL&state=all`);
      expect(new URL(p.url()).pathname).toBe('/login');
      await signInPage(p);
      await p.waitForURL((url) => url.pathname !== '/login', { timeout: 90_000 });
      const landed = new URL(p.url());
      expect(landed.pathname).toBe('/rejections');
      expect(landed.searchParams.get('reason')).toBe('E_PREFIX_TOO_SMALL');
      expect(landed.searchParams.get('state')).toBe('all');
    } finally {
      await p.close();
    }
    // Four page loads: on a busy CI machine (two cores, three test files at once) more than the
    // default minute, once.
  }, 240_000);
});

describe('CSRF tokens belong to one session (item 14)', () => {
  it('refuses a token from another session and one issued before sign-in, and takes its own', async () => {
    const client = new ConsoleClient(stack.baseUrl);
    await client.get('/login');
    const beforeSignIn = client.token;
    expect((await client.post('/login', { email: STAFF_EMAIL, password: STAFF_PASSWORD })).status).toBe(303);
    // The sign-in page's token, replayed in the session it opened.
    const replayed = await client.post(`/rejections/${tooSmall.rejectionId}/dismiss`, {
      _csrf: beforeSignIn,
      note: 'csrf',
    });
    expect(replayed.status).toBe(403);
    expect(replayed.body).toContain('valid security token');

    await client.get('/rejections');
    const sessionA = client.token;
    // Session B in the same browser: the CSRF cookie (its secret) is the same; only the session differs.
    const b = new ConsoleClient(stack.baseUrl);
    for (const [name, value] of client.cookies) if (name !== 'hm_session') b.cookies.set(name, value);
    expect((await b.signIn(STAFF_EMAIL, STAFF_PASSWORD)).status).toBe(303);
    await b.get('/rejections');
    const crossed = await b.post(`/rejections/${tooSmall.rejectionId}/dismiss`, {
      _csrf: sessionA,
      note: 'csrf',
    });
    expect(crossed.status).toBe(403);
    const [row] = await stack.db
      .select({ state: tables.rejections.state })
      .from(tables.rejections)
      .where(eq(tables.rejections.id, tooSmall.rejectionId));
    expect(row?.state).toBe('open');

    // Each session's own token works (signing out is a harmless POST).
    expect((await b.post('/logout')).status).toBe(303);
    expect((await client.post('/logout')).status).toBe(303);
  });
});

describe('addresses that look like others (item 16)', () => {
  it('shows IDN domains as xn-- and marks mixed-script addresses, in the queue and on the submission', async () => {
    const lookAlike = await seedRejectedSubmission(stack.db, {
      from: 'bill\u0456ng@p\u0430ypal.example',
      subject: 'homograph',
      range: '198.51.100.0/29',
      netName: 'HOMOGRAPH',
      error: { code: 'E_NOT_AUTHORIZED', message: 'not yours' },
    });
    const punycode = await seedRejectedSubmission(stack.db, {
      from: 'noc@xn--80ak6aa92e.com',
      subject: 'punycode',
      range: '198.51.100.8/29',
      netName: 'PUNYCODE',
      error: { code: 'E_NOT_AUTHORIZED', message: 'not yours' },
    });
    const client = new ConsoleClient(stack.baseUrl);
    expect((await client.signIn(STAFF_EMAIL, STAFF_PASSWORD)).status).toBe(303);

    const queue = await client.get('/rejections?reason=E_NOT_AUTHORIZED');
    const row = (id: number) => new RegExp(`#rejection-${id}">[\\s\\S]*?</tr>`).exec(queue.body)?.[0] ?? '';
    const lookAlikeRow = row(lookAlike.rejectionId);
    expect(lookAlikeRow).toContain('bill\u0456ng@xn--pypal-4ve.example');
    expect(lookAlikeRow).toMatch(/<mark class="homograph"[^>]*>⚠ mixed scripts: Latin \+ Cyrillic/);
    expect(lookAlikeRow).not.toContain('p\u0430ypal');
    const punycodeRow = row(punycode.rejectionId);
    expect(punycodeRow).toContain('noc@xn--80ak6aa92e.com');
    expect(punycodeRow).toContain('mixed scripts: Latin + Cyrillic');
    expect(punycodeRow).not.toContain('\u0430\u0440\u0440');

    const page = await client.get(`/submissions/${lookAlike.submissionId}`);
    const facts =
      /<dl class="facts">[\s\S]*?<\/dl>\s*<h2>Envelope<\/h2>\s*<dl class="facts">[\s\S]*?<\/dl>/.exec(
        page.body,
      )?.[0];
    expect(facts).toBeDefined();
    expect(facts!.match(/xn--pypal-4ve\.example/g)).toHaveLength(2);
    expect(facts!.match(/mark class="homograph"/g)).toHaveLength(2);
    expect(facts).not.toContain('p\u0430ypal');

    // A plain address stays plain.
    const plain = await client.get(`/submissions/${tooSmall.submissionId}`);
    expect(plain.body).toContain(DEMO_SENDER);
    expect(plain.body).not.toContain('class="homograph"');
  });
});

describe('security headers (item 18)', () => {
  it('sends a strict CSP and the framing, sniffing and referrer headers on every response', async () => {
    const client = new ConsoleClient(stack.baseUrl);
    const anonymous = [
      await client.get('/login'),
      await client.get('/console.css'),
      await client.get('/queues'),
    ];
    expect((await client.signIn(STAFF_EMAIL, STAFF_PASSWORD)).status).toBe(303);
    const signedIn = [
      await client.get('/rejections'),
      await client.get(`/submissions/${tooSmall.submissionId}`),
      await client.get('/lookup?q=DEMO'),
      await client.get('/no/such/page'),
      await client.get('/queues'),
      await client.get('/queues/api/queues'),
    ];
    for (const response of [...anonymous, ...signedIn]) {
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(csp).toMatch(/default-src '(none|self)'/);
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('same-origin');
    }
    expect(signedIn[0]!.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('lets the console pages and bull-board work under it in chromium, with no script refused', async () => {
    const p = await browser.context.newPage();
    const refused: string[] = [];
    p.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) refused.push(message.text());
    });
    try {
      await p.context().clearCookies();
      await p.goto(`${stack.baseUrl}/login`);
      await signInPage(p);
      await p.goto(`${stack.baseUrl}/submissions/${tooSmall.submissionId}`);
      // The stylesheet applied: the layout's header is styled by /console.css, not left bare.
      const headerDisplay = await p.evaluate(
        "getComputedStyle(document.querySelector('header.top')).display",
      );
      expect(headerDisplay).toBe('flex');
      expect(refused).toEqual([]);

      await p.goto(`${stack.baseUrl}/queues`);
      // bull-board is a React app: it shows the queue only when its scripts ran.
      await p.waitForSelector(`text=${SUBMISSIONS_QUEUE}`, { timeout: 60_000 });
      const scriptRefusals = refused.filter((text) => /script/i.test(text));
      expect(scriptRefusals).toEqual([]);
      // What may be refused: the web font bull-board links from fonts.googleapis.com, and one
      // <style> its scripts write at run time (CodeMirror's style-mod, in its bundle), whose text
      // no hash can know in advance. The page's own inline styles pass by their hashes.
      const others = refused.filter((text) => !/fonts\.googleapis\.com/.test(text));
      expect(others.length).toBeLessThanOrEqual(1);
      for (const text of others) expect(text).toMatch(/^Applying inline style violates/);
      expect(others.join('\n')).not.toContain('hashes do not apply to event handlers, style attributes');
    } finally {
      await p.close();
    }
  });
});

describe('bull-board cannot act, and the worker runs only the console’s staff jobs (item 7)', () => {
  it('refuses every queue-changing call of bull-board, and the queue stays as it was', async () => {
    const client = new ConsoleClient(stack.baseUrl);
    expect((await client.signIn(STAFF_EMAIL, STAFF_PASSWORD)).status).toBe(303);
    const before = await bullQueue.getJobCounts();
    const base = `/queues/api/queues/${SUBMISSIONS_QUEUE}`;
    const forgedOverride = {
      name: 'override',
      data: {
        kind: 'override',
        submissionId: tooSmall.submissionId,
        templateIndex: 1,
        waive: ['E_PREFIX_TOO_SMALL'],
        staff: 'mallory@registry.example',
        note: 'forged through bull-board',
      },
      options: {},
    };
    const calls: [string, string, unknown?][] = [
      ['POST', `${base}/add`, forgedOverride],
      ['PUT', `${base}/obliterate`],
      ['PUT', `${base}/empty`],
      ['PUT', `${base}/pause`],
      ['PUT', `${base}/resume`],
      ['PUT', `${base}/failed/retry`],
      ['PUT', `${base}/clean/completed`],
      ['PUT', `${base}/clean/failed`],
      ['PATCH', `${base}/${tooSmall.submissionId}/update-data`, { data: { kind: 'override' } }],
      ['PUT', `${base}/${tooSmall.submissionId}/retry/failed`],
      ['PUT', `${base}/${tooSmall.submissionId}/promote`],
      ['PUT', `${base}/${tooSmall.submissionId}/clean/completed`],
      ['PUT', '/queues/api/queues/pause'],
      ['PUT', '/queues/api/queues/resume'],
      ['DELETE', `${base}/${tooSmall.submissionId}`],
    ];
    for (const [method, path, json] of calls) {
      const response = await client.request(method, path, json === undefined ? {} : { json });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 405 });
      expect(response.body).toContain('E_READ_ONLY');
    }
    expect(await bullQueue.isPaused()).toBe(false);
    expect(await bullQueue.getJobCounts()).toEqual(before);
    // Reading still works.
    expect((await client.get('/queues/api/queues')).status).toBe(200);
  });

  async function failureOf(jobId: string): Promise<string> {
    for (let i = 0; i < 600; i++) {
      const job = await bullQueue.getJob(jobId);
      if (job?.finishedOn) {
        expect(await job.getState()).toBe('failed');
        return job.failedReason;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`job ${jobId} did not finish within 60 s`);
  }

  it('does not run a staff job put in Redis by hand: no proof, a forged name, or a signed job altered', async () => {
    const unsigned = {
      kind: 'override' as const,
      submissionId: tooSmall.submissionId,
      templateIndex: 1,
      waive: ['E_PREFIX_TOO_SMALL'],
      rejectionId: tooSmall.rejectionId,
      note: 'forged',
    };
    const forged = [
      // No proof at all, naming a staff member who does not exist.
      { id: 'forged-1', data: { ...unsigned, staff: 'mallory@registry.example' } },
      // A made-up proof, naming a real staff member.
      { id: 'forged-2', data: { ...unsigned, staff: STAFF_EMAIL, proof: 'ab'.repeat(32) } },
      // Signed by the console's key, but for someone who has no account.
      {
        id: 'forged-3',
        data: await signedStaffJob(stack.db, { ...unsigned, staff: 'ghost@registry.example' }, 'forged-3'),
      },
      // A real signed job with its waiver changed afterwards.
      {
        id: 'forged-4',
        data: {
          ...(await signedStaffJob(
            stack.db,
            { ...unsigned, waive: ['E_STAFF_REVIEW'], staff: STAFF_EMAIL },
            'forged-4',
          )),
          waive: ['E_PREFIX_TOO_SMALL'],
        },
      },
      // A real signed job, untouched, queued again under another id (a replay).
      {
        id: 'forged-5',
        data: await signedStaffJob(stack.db, { ...unsigned, staff: STAFF_EMAIL }, 'the-original-job'),
      },
    ];
    for (const { id, data } of forged) await bullQueue.add('override', data, { jobId: id, attempts: 1 });
    for (const { id } of forged) expect(await failureOf(id)).toMatch(/^E_FORGED_STAFF_JOB: /);

    const audit = await stack.db
      .select()
      .from(tables.auditLog)
      .where(eq(tables.auditLog.submissionId, tooSmall.submissionId));
    const refusals = audit.filter((row) => row.action === 'worker.staff-job-refused');
    expect(refusals.map((row) => row.objectHandle).sort()).toEqual(forged.map((f) => f.id));
    expect(refusals.every((row) => row.actor === 'system')).toBe(true);
    // Nobody acted as staff: no audit row under a staff name, nothing applied, the rejection open.
    expect(audit.filter((row) => row.actor.startsWith('staff:'))).toEqual([]);
    const [template] = await stack.db
      .select({ outcome: tables.submissionTemplates.outcome })
      .from(tables.submissionTemplates)
      .where(
        and(
          eq(tables.submissionTemplates.submissionId, tooSmall.submissionId),
          eq(tables.submissionTemplates.templateIndex, 1),
        ),
      );
    expect(template?.outcome).toBe('rejected');
    const [rejection] = await stack.db
      .select({ state: tables.rejections.state })
      .from(tables.rejections)
      .where(eq(tables.rejections.id, tooSmall.rejectionId));
    expect(rejection?.state).toBe('open');
  });

  it('still runs the override a signed-in staff member makes in the console', async () => {
    const client = new ConsoleClient(stack.baseUrl);
    expect((await client.signIn(STAFF_EMAIL, STAFF_PASSWORD)).status).toBe(303);
    await client.get(`/submissions/${tooSmall.submissionId}`);
    const done = await client.post(`/rejections/${tooSmall.rejectionId}/override`, {
      waive: 'E_PREFIX_TOO_SMALL',
      note: 'a point-to-point link, agreed by phone',
    });
    expect(done.status).toBe(303);
    const page = await client.get(`/submissions/${tooSmall.submissionId}`);
    expect(page.body).toMatch(/Done \(override\): template 1 APPROVED/);
  });
});

describe('sign-in throttling (item 8)', () => {
  let replica: RunningConsole;
  let replicaQueue: SubmissionQueue;
  /** A second console on the same database and Redis, behind a proxy it trusts (X-Forwarded-For). */
  const from = (ip: string) =>
    new ConsoleClient(`http://127.0.0.1:${replica.port}`, { 'x-forwarded-for': ip });

  beforeAll(async () => {
    if (stack.config.redis.kind !== 'url') throw new Error('the console stack runs on a Redis URL');
    replicaQueue = new SubmissionQueue(stack.config.redis);
    replica = await startConsole({
      config: { ...stack.config, console: { ...stack.config.console, port: 0, trustProxy: ['127.0.0.1'] } },
      db: stack.db,
      queue: consoleQueueFrom(replicaQueue),
      // The default's shape with a lower cap for the address, so the bounded wait fits a test.
      signInThrottle: {
        ...DEFAULT_SIGN_IN_THROTTLE,
        perAddress: { ...DEFAULT_SIGN_IN_THROTTLE.perAddress, maxDelayMs: 4_000 },
      },
    });
  });
  afterAll(async () => {
    await replica?.close();
    await replicaQueue?.close();
  });

  /**
   * Signs in until it works, waiting as told; after the first (which may be left from the flood,
   * whose waits the main console set under the default cap) each wait must be within the
   * replica's cap for the address (4 s), and a few tries must do.
   */
  async function signInPatiently(client: ConsoleClient): Promise<void> {
    for (let tries = 0; ; tries++) {
      const response = await client.signIn(STAFF_EMAIL, STAFF_PASSWORD);
      if (response.status === 303) return;
      expect(response.status).toBe(429);
      expect(tries).toBeLessThan(15);
      const wait = Number(response.headers.get('retry-after'));
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(
        tries === 0 ? DEFAULT_SIGN_IN_THROTTLE.perAddress.maxDelayMs / 1000 : 4,
      );
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    }
  }

  it('checks only a handful of 100 parallel wrong passwords, across two consoles, refusing the rest unchecked', async () => {
    const attacker = from('203.0.113.66');
    await attacker.get('/login');
    const local = new ConsoleClient(stack.baseUrl);
    await local.get('/login');
    const guesses = Array.from({ length: 100 }, (_, i) =>
      (i % 2 ? attacker : local).post('/login', { email: STAFF_EMAIL, password: `guess ${i}` }),
    );
    const responses = await Promise.all(guesses);
    const statuses = responses.map((r) => r.status);
    // Each refusal says so and when to come back.
    for (const response of responses.filter((r) => r.status === 429)) {
      expect(response.body).toContain('this try was not checked');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    const checked = statuses.filter((s) => s === 401).length;
    const refused = statuses.filter((s) => s === 429).length;
    expect(checked + refused).toBe(100);
    // The address's five free tries, the one that starts its wait, and one more per doubled wait
    // that ends while the flood lasts (1, 2, 4 ... s: 11 even if it lasted a minute), whichever
    // console got them. Without the throttle's count-before-check, dozens were checked.
    expect(checked).toBeLessThanOrEqual(11);
    expect(checked).toBeGreaterThanOrEqual(1);
    // Every attempt is on record, checked or not.
    const attempts = await stack.db
      .select()
      .from(tables.staffLoginAttempts)
      .where(eq(tables.staffLoginAttempts.email, STAFF_EMAIL));
    expect(attempts.filter((a) => !a.succeeded).length).toBeGreaterThanOrEqual(100);
  });

  it('lets the real user in after a bounded wait while the attacker keeps guessing', async () => {
    const attacker = from('203.0.113.66');
    await attacker.get('/login');
    let attacking = true;
    let attackerChecked = 0;
    const attack = (async () => {
      for (let i = 0; attacking; i++) {
        const response = await attacker
          .post('/login', { email: STAFF_EMAIL, password: `more ${i}` })
          .catch(() => undefined);
        if (response?.status === 401) attackerChecked++;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      // However often the attacker tries, the address waits at most the cap (4 s here) at a time,
      // and the attacker's own address waits far longer: the user's next try after a wait wins.
      await signInPatiently(from('198.51.100.23'));
    } finally {
      attacking = false;
      await attack;
    }
    // The attacker's own address is made to wait (doubling from where the flood left it): only a
    // few of its guesses every 50 ms were checked meanwhile.
    expect(attackerChecked).toBeLessThanOrEqual(5);
  }, 120_000);

  it('counts per client address across accounts: one address guessing many accounts is slowed too', async () => {
    const sprayer = from('192.0.2.99');
    await sprayer.get('/login');
    const statuses = (
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          sprayer.post('/login', { email: `user${i}@registry.example`, password: 'Spring2026!' }),
        ),
      )
    ).map((r) => r.status);
    // 20 free, the one that starts the wait, and one per doubled wait that ends meanwhile.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(27);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(33);
  });
});
