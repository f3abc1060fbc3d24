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
