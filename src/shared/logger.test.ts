import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('createLogger', () => {
  it('scrubs a key in any shape from messages, fields and errors', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const logger = createLogger({ level: 'info', destination: out });
    logger.info(
      { subject: 'SWIP key 7F3A 9C2E B41D 58E6', to: 'API_7F3A_9C2E_B41D_58E6@isp.example' },
      'mail',
    );
    logger.error({ err: new Error('bad key AP1-7F3A-9C2E-B41D-58E6') }, 'failed for 7F3A-9C2E-B41D-58E6');
    await new Promise((resolve) => setImmediate(resolve));
    const text = lines.join('');
    expect(text).toContain('API-****-****-****-58E6');
    expect(text.toUpperCase().replace(/[^0-9A-F]/g, '')).not.toContain('7F3A9C2EB41D');
  });
});

describe('validation tokens', () => {
  it('are scrubbed from messages, fields (a URL too), field names and errors', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const logger = createLogger({ level: 'info', destination: out });
    const token = 'VT-ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    logger.info(
      { url: `/validate/${token}`, [token]: 1, nested: { deep: [token.toLowerCase()] } },
      `got ${token}`,
    );
    logger.error({ err: new Error(`token ${token} used`) }, 'failed');
    await new Promise((resolve) => setImmediate(resolve));
    const text = lines.join('');
    expect(text).toContain('VT-[redacted]');
    expect(text.toUpperCase()).not.toContain('ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  });
});

describe('log lines', () => {
  const capture = () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    return { out, lines };
  };

  it('never writes a key twice: a field named like a line key (pid, name, time...) is renamed', async () => {
    const { out, lines } = capture();
    const logger = createLogger({ level: 'info', destination: out });
    logger.info(
      { socketPath: '/tmp/r.sock', pid: 4242, name: 'x', time: 1 },
      'embedded redis-server started',
    );
    await new Promise((resolve) => setImmediate(resolve));
    const line = lines[0]!;
    for (const key of ['pid', 'name', 'time']) {
      expect(line.split(`"${key}":`).length - 1, line).toBe(1);
    }
    expect(JSON.parse(line)).toMatchObject({ pid: process.pid, pid_: 4242, name: 'hostmasterd', name_: 'x' });
  });

  it('writes human lines (ISO time, level label, message, fields) when asked, JSON otherwise', async () => {
    const human = capture();
    createLogger({ level: 'info', destination: human.out, human: true }).warn(
      { roles: ['ingress'], smtpPort: 2525, note: 'two words' },
      'hostmasterd started',
    );
    const json = capture();
    createLogger({ level: 'info', destination: json.out }).warn({ smtpPort: 2525 }, 'hostmasterd started');
    await new Promise((resolve) => setImmediate(resolve));
    expect(human.lines[0]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} WARN {2}hostmasterd started roles=\["ingress"\] smtpPort=2525 note="two words"$/,
    );
    expect(JSON.parse(json.lines[0]!)).toMatchObject({
      level: 40,
      msg: 'hostmasterd started',
      smtpPort: 2525,
    });
  });

  it('scrubs keys in human lines as in JSON', async () => {
    const { out, lines } = capture();
    createLogger({ level: 'info', destination: out, human: true }).info(
      { subject: 'SWIP key 7F3A 9C2E B41D 58E6' },
      'mail',
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).toContain('API-****-****-****-58E6');
  });

  it('shows control characters in human lines as escapes: no forged line, no terminal escape sequence', async () => {
    const { out, lines } = capture();
    createLogger({ level: 'info', destination: out, human: true }).info(
      { subject: 'x\u001b[2Jy', from: 'a\nb', c1: '\u009b31m' },
      'mail from\n2026-01-01 00:00:00.000 INFO  forged',
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(lines[0]).toContain('mail from\\u000a2026-01-01');
    expect(lines[0]).toContain('subject=x\\u001b[2Jy');
  });
});
