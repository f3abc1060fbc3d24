/**
 * A CLI command loads only the packages it runs (an MTA starts `submit` once per message, a
 * billing system runs `lint` per export): `lint` of a plain message opens no database, queue, SMTP
 * server or logger and loads no mailparser (the mail room's plain reader reads it), and `submit`
 * handing a message to the running daemon (embedded defaults) loads no database room, no queue,
 * no mailparser and no nodemailer transport; `submit` on PostgreSQL loads pg alone, never BullMQ or
 * ioredis, whether a daemon listens or not, Redis is there or not, the message is new or not. What each process loaded is recorded from inside it: every
 * module it resolves (ESM) and every CommonJS file it required, written out as it exits. Both run
 * the bundled CLI (dist/bundle/, one file and its lazily loaded parts), not dist/'s ~90 modules.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSubmissionListener } from '../../src/ingress/index.ts';
import { SubmissionQueue } from '../../src/queue/index.ts';
import { startEmbeddedIngress, templateMail } from '../ingress/helpers.ts';
import { processEnv, REPO, runCommand, submissionId } from '../pipeline/support/processes.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { freePort } from '../support/postgres-server.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-loading-'));
const HOOKS = path.join(work, 'hooks.mjs');
const RECORDER = path.join(work, 'record.mjs');
fs.writeFileSync(
  HOOKS,
  `import fs from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  fs.appendFileSync(process.env.HM_LOADED, resolved.url + '\\n');
  return resolved;
}
`,
);
fs.writeFileSync(
  RECORDER,
  `import fs from 'node:fs';
import { createRequire, register } from 'node:module';
register(${JSON.stringify(`file://${HOOKS}`)});
const require = createRequire(import.meta.url);
// Node's own modules too (node:internal/...): a package can make Node load a large part of itself.
process.on('exit', () => fs.appendFileSync(process.env.HM_LOADED, [...Object.keys(require.cache), ...process.moduleLoadList].join('\\n') + '\\n'));
`,
);

const DIST = `${path.join(REPO, 'dist')}/`;
const BUNDLE = `${path.join(REPO, 'dist', 'bundle')}/`;

/** Our modules a run loaded from dist/, outside the bundle: none for a bundled command. */
const unbundled = (files: readonly string[]) => files.filter((f) => f.includes(DIST) && !f.includes(BUNDLE));

/** The packages esbuild put into the bundle files a run loaded (it marks each file it inlines). */
const bundledPackages = (files: readonly string[]) =>
  new Set(
    files
      .filter((f) => f.includes(BUNDLE))
      .flatMap((f) => [
        ...fs
          .readFileSync(new URL(f), 'utf8')
          .matchAll(/^\/\/ (?:\S*\/)?node_modules\/((?:@[^/]+\/)?[^/]+)\//gm),
      ])
      .map((m) => m[1]),
  );

/** The npm packages a finished run of `hostmasterd ARGS` loaded, by name. */
async function packagesLoaded(
  name: string,
  args: readonly string[],
  env: Record<string, string>,
  stdin?: string,
  /** What its stderr must say (nothing, unless given). */
  stderr?: RegExp,
): Promise<{ packages: Set<string>; files: string[]; stdout: string; code: number | null }> {
  const log = path.join(work, `${name}.log`);
  const run = await runCommand(
    args,
    { ...env, HM_LOADED: log, NODE_OPTIONS: `--import ${RECORDER}` },
    stdin,
    120_000,
  );
  if (stderr) expect(run.stderr).toMatch(stderr);
  else expect(run.stderr).toBe('');
  const files = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const packages = new Set(
    files
      .map((line) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(line)?.[1])
      .filter((p): p is string => p !== undefined),
  );
  return { packages, files, stdout: run.stdout, code: run.code };
}

/** Every package a run loaded a file of, nested ones by their own name (mailparser's own nodemailer is `nodemailer`). */
const innermostPackages = (files: readonly string[]) =>
  new Set(
    files
      .map((line) => /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(line)?.[1])
      .filter((p): p is string => p !== undefined),
  );

const NEVER_FOR_A_COMMAND = ['fastify', '@bull-board/api', 'prom-client', 'mailauth', 'smtp-server'];
/** What mailparser brings, for HTML and charsets the plain reader (src/mail/plain-mime.ts) does without. */
const MAILPARSER_STACK = [
  'html-to-text',
  'htmlparser2',
  'entities',
  'linkify-it',
  'iconv-lite',
  'libmime',
  'he',
  '@zone-eu/mailsplit',
  'encoding-japanese',
];

/** Of nodemailer (either copy), only the address parser: no transport, no composer. */
const nodemailerBeyondAddressParser = (files: readonly string[]) =>
  files.filter((f) => /\/node_modules\/nodemailer\//.test(f) && !f.endsWith('/addressparser/index.js'));
const DATABASE_AND_QUEUE = ['@electric-sql/pglite', 'pg', 'bullmq', 'ioredis'];

describe('what a CLI command loads', () => {
  let redis: RedisServer | undefined;
  afterAll(async () => {
    await redis?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('lint reads a plain message with the plain reader and the templates: no mailparser, nothing that serves or stores', async () => {
    const env = await processEnv({});
    const file = path.join(REPO, 'test/fixtures/mail/crlf-net-mod-5.0.eml');
    const { packages, files, stdout, code } = await packagesLoaded('lint', ['lint', file], env);
    expect(code).toBe(0);
    expect(stdout).toContain('Template 1 of 1: ARIN-NET-MOD-5.0');
    // mailparser's package is looked up (its own address parser is the plain reader's), never loaded.
    expect(files.filter((f) => /\/node_modules\/mailparser\/dist\//.test(f))).toEqual([]);
    for (const heavy of MAILPARSER_STACK) expect(innermostPackages(files), heavy).not.toContain(heavy);
    expect(files.some((f) => f.endsWith('/dist/bundle/cli.js'))).toBe(true);
    expect(unbundled(files)).toEqual([]);
    // drizzle-orm is bundled (bundledPackages sees it in the bundle's files); lint reaches no module
    // of the database room that loads it.
    const bundle = fs.readdirSync(BUNDLE).filter((f) => f.endsWith('.js'));
    expect(bundledPackages(bundle.map((f) => `file://${BUNDLE}${f}`))).toContain('drizzle-orm');
    expect(bundledPackages(files)).toEqual(new Set());
    for (const heavy of [...NEVER_FOR_A_COMMAND, ...DATABASE_AND_QUEUE, 'pino', 'drizzle-orm']) {
      expect(packages, heavy).not.toContain(heavy);
    }
    // Of nodemailer, only its address parser (whom the daemon would answer): no transport, no composer.
    expect(nodemailerBeyondAddressParser(files)).toEqual([]);
  });

  it('submit hands the message to the running daemon loading no database room, queue, mailparser or nodemailer transport', async () => {
    const dataDir = path.join(work, 'data');
    // The daemon: it holds the embedded database and listens for SMTP.
    redis = await startRedis();
    const daemon = await startEmbeddedIngress(dataDir, redis.url);
    try {
      const env = await processEnv({
        DATA_DIR: dataDir,
        HOSTMASTER_ADDRESSES: 'hostmaster@rir.example',
        SMTP_PORT: String(daemon.config.smtp.port),
      });
      const mail = templateMail({ messageId: '<loading@isp.example>' });
      const { files, stdout, code } = await packagesLoaded('submit', ['submit'], env, mail);
      expect(code).toBe(0);
      expect(await daemon.queue.hasJob(submissionId(stdout))).toBe(true);
      expect(files.some((f) => f.endsWith('/dist/bundle/cli.js'))).toBe(true);
      expect(unbundled(files)).toEqual([]);
      // Whether the daemon holds the embedded database is read from its lock file before anything
      // that stores loads: no chunk of the database room (the bundled drizzle-orm) is reached.
      expect(bundledPackages(files)).toEqual(new Set());
      for (const heavy of [...NEVER_FOR_A_COMMAND, ...DATABASE_AND_QUEUE, ...MAILPARSER_STACK, 'pino']) {
        expect(innermostPackages(files), heavy).not.toContain(heavy);
      }
      // The hand-over is plain SMTP on node:net (src/commands/daemon-handover.ts).
      expect(nodemailerBeyondAddressParser(files)).toEqual([]);
    } finally {
      await daemon.close();
    }
  });
  /** What a `submit` on PostgreSQL may load: pg, and none of the queue, the database room or mailparser. */
  const expectPgAlone = (files: readonly string[]) => {
    expect(innermostPackages(files)).toContain('pg');
    expect(bundledPackages(files)).toEqual(new Set());
    for (const heavy of [
      ...NEVER_FOR_A_COMMAND,
      ...MAILPARSER_STACK,
      '@electric-sql/pglite',
      'bullmq',
      'ioredis',
      'pino',
    ]) {
      expect(innermostPackages(files), heavy).not.toContain(heavy);
    }
    expect(nodemailerBeyondAddressParser(files)).toEqual([]);
    // pg's look for a Cloudflare Worker would load Node's fetch (undici) for one `new Response`.
    expect(files.filter((f) => f.includes('undici'))).toEqual([]);
  };

  it('submit on PostgreSQL loads pg alone (no BullMQ, ioredis, database room or mailparser): a daemon listening, a duplicate, no daemon, no Redis', async () => {
    redis ??= await startRedis();
    const databaseUrl = await createPostgresDatabase();
    const queue = new SubmissionQueue({ kind: 'url', url: redis.url });
    const listener = await startSubmissionListener({ url: databaseUrl, queue });
    const env = await processEnv({
      DATA_DIR: path.join(work, 'pg-data'),
      HOSTMASTER_ADDRESSES: 'hostmaster@rir.example',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
    });
    try {
      const mail = templateMail({ messageId: '<loading-pg@isp.example>' });
      const heard = await packagesLoaded('submit-pg', ['submit'], env, mail);
      expect(heard.code).toBe(0);
      const id = submissionId(heard.stdout);
      // The listening daemon adds the job.
      const deadline = Date.now() + 30_000;
      while (!(await queue.hasJob(id))) {
        if (Date.now() > deadline) throw new Error('no job from the listener');
        await new Promise((r) => setTimeout(r, 50));
      }
      expectPgAlone(heard.files);

      const again = await packagesLoaded(
        'submit-pg-again',
        ['submit'],
        env,
        mail,
        /already received earlier/,
      );
      expect(submissionId(again.stdout)).toBe(id);
      expectPgAlone(again.files);
    } finally {
      await listener.stop();
      await queue.close();
    }
    // No daemon at all, and REDIS_URL naming a port nothing listens on: stored all the same.
    const nobody = await packagesLoaded(
      'submit-pg-nobody',
      ['submit'],
      { ...env, REDIS_URL: `redis://127.0.0.1:${await freePort()}` },
      templateMail({ messageId: '<loading-pg-nobody@isp.example>' }),
      /no hostmasterd ingress or worker is running/,
    );
    expect(nobody.code).toBe(0);
    expectPgAlone(nobody.files);
    // REDIS_URL unset (the embedded Redis's settings, no redis-server of its own running).
    const { REDIS_URL: _unset, ...withoutRedis } = env;
    const embeddedRedis = await packagesLoaded(
      'submit-pg-embedded-redis',
      ['submit'],
      withoutRedis,
      templateMail({ messageId: '<loading-pg-no-redis-url@isp.example>' }),
      /no hostmasterd ingress or worker is running/,
    );
    expect(embeddedRedis.code).toBe(0);
    expectPgAlone(embeddedRedis.files);
  });
});
