/**
 * Re-review of the logs (issue 14, item 13): every string that reaches a log line is scrubbed,
 * whoever wrote the line, however deep in the fields it stands. The scrubber stopped at depth 4
 * and wrote deeper objects as they were.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/logger.ts';

describe('trust review: a key deep inside a log line’s fields', () => {
  it('is hidden at any depth, in a field name too', async () => {
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const logger = createLogger({ level: 'info', destination: out });
    const deep = { a: { b: { c: { d: { e: { f: 'key 7F3A-9C2E-B41D-58E6' } } } } } };
    logger.info({ job: deep, ['API-7F3A-9C2E-B41D-58E6']: 1 }, 'job data');
    await new Promise((resolve) => setImmediate(resolve));
    const text = lines.join('');
    expect(text).toContain('job data');
    expect(text.toUpperCase().replace(/[^0-9A-F]/g, '')).not.toContain('7F3A9C2EB41D');
  });
});
