/**
 * A fault under any public route that has no handler of its own (the blank forms, a route added
 * later): the answer is a plain 503 "try again", never the error's message, which may hold SQL,
 * its parameters and the database's address (faults25 F6's class).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PublicHttpServer, startPublicHttp } from '../../src/public/http-server.ts';

describe('a fault under a public route', () => {
  let server: PublicHttpServer;

  beforeAll(async () => {
    server = await startPublicHttp({
      host: '127.0.0.1',
      port: 0,
      trustProxy: [],
      routes: [
        {
          prefix: '/templates',
          register: async (app) => {
            app.get('/broken', async () => {
              throw Object.assign(
                new Error('Failed query: select "token_digest" from "poc_validations"\nparams: ab85'),
                { code: 'ECONNREFUSED', address: '127.0.0.1', port: 29432 },
              );
            });
          },
        },
      ],
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('is a plain 503 with Retry-After, saying nothing of the error', async () => {
    const answer = await fetch(`http://127.0.0.1:${server.port}/templates/broken`);
    const body = await answer.text();
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('60');
    expect(body).toContain('could not answer just now');
    expect(body).not.toMatch(/select|poc_validations|params|ECONNREFUSED|29432/i);
  });
});
