/**
 * On the embedded defaults the daemon owns PGlite, and `demo`, `seed`, `staff` and `validation
 * run` work while it runs, as the README's first steps run them: the daemon does their work, asked on its command
 * socket under DATA_DIR/control, which only its own user can reach. What the commands load is
 * what the running daemon then uses (the demo key is answered, the staff account signs in).
 * Everything else still refuses the locked database.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { signIn } from '../console/support/sign-in.ts';
import { parseReply } from '../support/reply-reader.ts';
import { useEmbeddedDaemon } from './support/embedded-suite.ts';
import { preparedEmbeddedEnv } from './support/prepared-database.ts';
import { outboxFiles, REPO, runCommand, startDaemonProcess } from './support/processes.ts';

const NOBODY = 65_534;

/** Whether a process of user `uid` may connect to the unix socket (root runs the tests). */
async function connectsAs(uid: number, socketPath: string): Promise<string> {
  const script = `require('node:net').connect(${JSON.stringify(socketPath)})
    .on('connect', () => { console.log('connected'); process.exit(0); })
    .on('error', (e) => { console.log(e.code); process.exit(0); });`;
  const child = spawn(process.execPath, ['-e', script], { uid, gid: uid, stdio: 'pipe', cwd: '/' });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  await new Promise((resolve) => child.once('exit', resolve));
  return out.trim();
}

describe('seed, demo, staff and validation run against a running daemon on embedded defaults', () => {
  const suite = useEmbeddedDaemon();
  const env = suite.env;

  // This test and the next have a daemon each and run at once; the socket's test after them
  // takes this one's daemon.
  it.concurrent('loads the demo registry, a seed file and staff accounts into the running daemon, which uses them at once', async () => {
    suite.daemon = await startDaemonProcess([], env, 60_000);

    const demo = await runCommand(['demo'], env, undefined, 60_000);
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toContain(
      'Loaded the demo registry into the embedded database, through the running hostmasterd:',
    );
    expect(demo.stdout).toContain(`API key: ${DEMO_API_KEY}`);

    const seedFile = path.join(REPO, 'test/fixtures/registry.json');
    const seeded = await runCommand(['seed', seedFile], env, undefined, 60_000);
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toContain('nets: 2 created, 0 modified, 0 unchanged');
    const again = await runCommand(['seed', seedFile], env, undefined, 60_000);
    expect(again.stdout).toContain('nets: 0 created, 0 modified, 2 unchanged');
    // A file the registry refuses is refused as before: exit 65, the path named, nothing loaded.
    const badFile = path.join(env['DATA_DIR']!, 'outside.json');
    fs.writeFileSync(
      badFile,
      JSON.stringify({
        nets: [
          {
            handle: 'NET-10-0-0-0-1',
            name: 'SUB',
            range: '10.0.0.0/24',
            type: 'reallocation',
            parent: 'NET-192-0-0-0-1',
            org: 'CASCADE-1',
          },
        ],
      }),
    );
    const refused = await runCommand(['seed', badFile], env, undefined, 60_000);
    expect(refused.code).toBe(65);
    expect(refused.stderr).toContain('nets[0].range: 10.0.0.0/24 is not inside its parent NET-192-0-0-0-1');

    const added = await runCommand(
      ['staff', 'add', 'Gina@Registry.example'],
      env,
      'a long enough passphrase\n',
    );
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe('staff account created: gina@registry.example\n');
    const listed = await runCommand(['staff', 'list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^gina@registry\.example\tactive\tcreated \S+$/m);
    const consoleUrl = `http://127.0.0.1:${env['CONSOLE_PORT']}`;
    const gina = await signIn(consoleUrl, 'gina@registry.example', 'a long enough passphrase');
    expect((await gina('/rejections')).status).toBe(200);
    const removed = await runCommand(['staff', 'remove', 'gina@registry.example'], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await gina('/rejections')).status).not.toBe(200);
    expect((await runCommand(['staff', 'remove', 'nobody@registry.example'], env)).code).toBe(67);

    // The demo key loaded a moment ago is the running daemon's: its mail is answered APPROVED.
    const client = nodemailer.createTransport({
      host: '127.0.0.1',
      port: Number(env['SMTP_PORT']),
      secure: false,
      ignoreTLS: true,
    });
    const example = fs
      .readFileSync(path.join(REPO, 'test/fixtures/mail/reassign-simple-5.3.eml'), 'utf8')
      .replace(/^Subject: .*$/m, `Subject: SWIP ${DEMO_API_KEY}`);
    await client.sendMail({
      envelope: { from: 'noc@demo-isp.example', to: ['hostmaster@localhost'] },
      raw: example,
    });
    client.close();
    const [reply] = await outboxFiles(path.join(env['DATA_DIR']!, 'outbox'), 1, 120_000);
    const parsed = await parseReply(reply!);
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(parsed.value.blocks[0]?.status).toBe('APPROVED');

    // A validation round a year on, run by the daemon: its mail leaves through the daemon's outbox.
    const day = new Date(Date.now() + 366 * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
    const round = await runCommand(['validation', 'run', '--as-of', day], env, undefined, 60_000);
    expect(round.code, round.stderr).toBe(0);
    expect(round.stdout).toContain(`Validation round ${day}`);
    expect(round.stdout).toMatch(/mailed now: \d+ \(.*DEMO1-ARIN/);
    const sent = await outboxFiles(path.join(env['DATA_DIR']!, 'outbox'), 2, 120_000);
    expect(sent.some((mail) => /^Validation-Token: VT-/m.test(mail))).toBe(true);
    const rerun = await runCommand(['validation', 'run', '--as-of', day], env, undefined, 60_000);
    expect(rerun.stdout).toContain('mailed now: 0');

    // The rest keeps the lock: a second owner would corrupt PGlite.
    const migrate = await runCommand(['migrate'], env);
    expect(migrate.code).not.toBe(0);
    expect(migrate.stderr).toContain('E_DATABASE_LOCKED');
  }, 300_000); // each step waits on its process or file; a busy machine may take minutes

  it.concurrent('opens no command socket where it cannot keep it private, and runs anyway: the commands refuse as before', async () => {
    const linked = await preparedEmbeddedEnv();
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-elsewhere-'));
    fs.symlinkSync(elsewhere, path.join(linked['DATA_DIR']!, 'control'));
    const other = await startDaemonProcess([], linked, 60_000);
    try {
      expect(other.output()).toContain('no command socket');
      expect(fs.readdirSync(elsewhere)).toEqual([]);
      const demo = await runCommand(['demo'], linked, undefined, 60_000);
      expect(demo.code).toBe(1);
      expect(demo.stderr).toContain('E_DAEMON_UNREACHABLE');
    } finally {
      expect(await other.stop()).toBe(0);
      fs.rmSync(linked['DATA_DIR']!, { recursive: true, force: true });
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  }, 180_000);

  it("keeps the command socket the daemon's user's alone: another user cannot connect", async () => {
    suite.daemon ??= await startDaemonProcess([], env, 60_000);
    const socketPath = path.join(env['DATA_DIR']!, 'control', 'commands.sock');
    expect(fs.statSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700);
    expect(fs.statSync(socketPath).mode & 0o777).toBe(0o600);
    if (process.getuid?.() === 0) expect(await connectsAs(NOBODY, socketPath)).toBe('EACCES');

    const exit = await suite.daemon.stop();
    expect(exit, suite.daemon.output()).toBe(0);
    suite.daemon = undefined;
    expect(fs.existsSync(socketPath)).toBe(false);
    // With the daemon gone the commands open the database themselves, as before.
    const listed = await runCommand(['staff', 'list'], env, undefined, 60_000);
    expect(listed.code, listed.stderr).toBe(0);
  }, 180_000);
});
