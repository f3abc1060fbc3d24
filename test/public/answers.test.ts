/**
 * How the public role answers, beyond what it finds (the running stack without PUBLIC_URL):
 * RDAP links never follow the client's Host header; answers say how long a cache may keep them
 * and errors that none may; a WHOIS search for one kind (`p Smith*`) searches that kind, so
 * other kinds matching by the dozen do not crowd it out, and says when it was cut.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HTTP_CONNECTION_LIMITS,
  type PublicHttpServer,
  startPublicHttp,
} from '../../src/public/http-server.ts';
import { seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { type RdapObject, whois, whoisValues } from './support/clients.ts';

/** More orgs named Smith than a search lists, and a few POCs named Smith. */
const SMITH_ORGS = 60;
const SMITH_POCS = 3;

describe('public answers', () => {
  let stack: Stack;
  let base: string;

  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
    base = `http://127.0.0.1:${stack.daemon.rdapPort}`;
    const doc = validateSeed({
      pocs: Array.from({ length: SMITH_POCS }, (_, i) => ({
        handle: `SMITH${i + 1}-ARIN`,
        type: 'person',
        lastName: 'Smith',
        firstName: `Pat${i + 1}`,
        city: 'Springfield',
        country: 'US',
        emails: [`pat${i + 1}@smith.example`],
        officePhones: ['+1-555-0400'],
      })),
      orgs: Array.from({ length: SMITH_ORGS }, (_, i) => ({
        handle: `SMITHCO${i + 1}-1`,
        name: `Smith Holdings ${i + 1}`,
        city: 'Springfield',
        country: 'US',
        pocs: { admin: 'SMITH1-ARIN', tech: ['SMITH1-ARIN'] },
      })),
      // More nets than an org's answer lists.
      nets: Array.from({ length: 51 }, (_, i) => ({
        handle: `NET-172-20-${i + 1}-0-1`,
        name: `SMITH-${i + 1}`,
        range: `172.20.${i + 1}.0/24`,
        org: 'SMITHCO1-1',
      })),
    });
    if (!doc.ok) throw new Error(doc.error.map((p) => p.message).join('; '));
    const seeded = await seedRegistry(stack.database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  /** A GET with the Host header the client chose (fetch sends its own). */
  function getWithHost(path: string, host: string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const request = http.get(
        { host: '127.0.0.1', port: stack.daemon.rdapPort!, path, headers: { host } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
        },
      );
      request.on('error', reject);
    });
  }

  it('links to the address the client reached, never to the Host it sent', async () => {
    for (const path of ['/rdap/ip/198.51.100.1', '/rdap/entity/DEMOISP-1', '/rdap/entities?fn=Demo*']) {
      for (const host of ['evil.example', 'evil.example:8443', '[2001:db8::66]']) {
        const answer = await getWithHost(path, host);
        expect(answer.status, path).toBe(200);
        expect(answer.text, path).not.toMatch(/evil\.example|2001:db8::66/);
        expect(answer.text, path).toContain(`${base}/rdap/`);
      }
    }
    const net = JSON.parse((await getWithHost('/rdap/ip/198.51.100.1', 'evil.example')).text) as RdapObject;
    expect((net['links'] as RdapObject[])[0]).toMatchObject({
      rel: 'self',
      href: `${base}/rdap/ip/198.51.100.0/24`,
    });
  });

  it('lets caches keep an answer a minute and an error never', async () => {
    const cacheControl = async (path: string, method = 'GET') => {
      const answer = await fetch(`${base}${path}`, { method });
      await answer.arrayBuffer();
      return [answer.status, answer.headers.get('cache-control')];
    };
    const answers = 'public, max-age=60';
    expect(await cacheControl('/rdap/ip/198.51.100.1')).toEqual([200, answers]);
    expect(await cacheControl('/rdap/ip/198.51.100.1', 'HEAD')).toEqual([200, answers]);
    expect(await cacheControl('/rdap/entity/DEMO1-ARIN')).toEqual([200, answers]);
    expect(await cacheControl('/rdap/entities?handle=DEMO*')).toEqual([200, answers]);
    expect(await cacheControl('/rdap/help')).toEqual([200, answers]);
    // Not found now may be found in a moment; a bad request is one client's.
    expect(await cacheControl('/rdap/ip/10.9.9.9')).toEqual([404, 'no-store']);
    expect(await cacheControl('/rdap/entity/NOBODY9-ARIN')).toEqual([404, 'no-store']);
    expect(await cacheControl('/rdap/ip/300.1.1.1')).toEqual([400, 'no-store']);
    expect(await cacheControl('/rdap/entities?fn=*')).toEqual([400, 'no-store']);
    expect(await cacheControl('/rdap/autnum/64500')).toEqual([501, 'no-store']);
    expect(await cacheControl('/rdap/no/such/path')).toEqual([404, 'no-store']);
    // A URL that is no UTF-8: an RDAP error object all the same.
    const unreadable = await fetch(`${base}/rdap/entity/%ED%A0%80`);
    expect(unreadable.status).toBe(400);
    expect(unreadable.headers.get('content-type')).toMatch(/^application\/rdap\+json/);
    expect(unreadable.headers.get('cache-control')).toBe('no-store');
    expect(await unreadable.json()).toMatchObject({ errorCode: 400, title: 'Bad Request' });
    expect(await cacheControl('/templates/ARIN-POC-5.1.txt')).toEqual([200, 'public, max-age=3600']);
    expect(await cacheControl('/templates/nope.txt')).toEqual([404, 'no-store']);
  });

  it("refuses an address's or a network's connections past its share, and answers others", async () => {
    const connect = (from: string) =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect(
          { host: '127.0.0.1', port: stack.daemon.rdapPort!, localAddress: from },
          () => resolve(socket),
        );
        socket.once('error', reject);
      });
    const answerOf = (socket: net.Socket) =>
      new Promise<string>((resolve) => {
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
      });
    const { perClient, perNetwork } = HTTP_CONNECTION_LIMITS;
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < perClient; i++) held.push(await connect('127.0.7.1'));
      const extra = await connect('127.0.7.1');
      expect(await answerOf(extra)).toMatch(
        /^HTTP\/1\.1 429 [\s\S]*E_QUERY_RATE: more than 32 connections at once from your address\.$/m,
      );
      for (let address = 2; held.length < perNetwork; address++) {
        for (let i = 0; i < perClient && held.length < perNetwork; i++)
          held.push(await connect(`127.0.7.${address}`));
      }
      const crowded = await connect('127.0.7.200');
      expect(await answerOf(crowded)).toMatch(
        /E_QUERY_RATE: more than 128 connections at once from your network \(127\.0\.7\.0\/24\)/,
      );
      // The held ones and other networks still ask.
      const heldAnswer = answerOf(held[0]!);
      held[0]!.write('GET /rdap/help HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      expect(await heldAnswer).toMatch(/^HTTP\/1\.1 200 /);
      expect((await fetch(`${base}/rdap/ip/198.51.100.1`)).status).toBe(200);
    } finally {
      for (const socket of held) socket.destroy();
    }
  }, 60_000);

  it("says when an org's networks were cut", async () => {
    const org = (await (await fetch(`${base}/rdap/entity/SMITHCO1-1`)).json()) as RdapObject;
    expect(org['networks']).toHaveLength(50);
    expect(org['notices']).toContainEqual(
      expect.objectContaining({ type: 'result set truncated due to excessive load' }),
    );
    const small = (await (await fetch(`${base}/rdap/entity/DEMOISP-1`)).json()) as RdapObject;
    expect(JSON.stringify(small['notices'])).not.toContain('truncated');
  });

  it('searches only the kind asked for, before the cut, and says when it cut', async () => {
    const pocs = await whois(stack.daemon.whoisPort!, 'p Smith*');
    for (let i = 1; i <= SMITH_POCS; i++) expect(pocs).toContain(`Smith, Pat${i} (SMITH${i}-ARIN)`);
    expect(pocs).not.toContain('Smith Holdings');
    expect(pocs).not.toMatch(/No match found|More than/);
    expect(whoisValues(await whois(stack.daemon.whoisPort!, 'p pat2 smith'), 'Handle')).toEqual([
      'SMITH2-ARIN',
    ]);

    const orgs = await whois(stack.daemon.whoisPort!, 'o Smith*');
    expect(orgs.match(/^Smith Holdings \d+ \(SMITHCO\d+-1\)$/gm)).toHaveLength(50);
    expect(orgs).toMatch(/^# More than 50 matched; ask for a longer name or a handle\.$/m);
    expect(orgs).not.toContain('SMITH1-ARIN');
    expect(await whois(stack.daemon.whoisPort!, 'c Smith*')).toMatch(/No match found for smith\*/i);
    // Asked of every kind the cut still says so.
    expect(await whois(stack.daemon.whoisPort!, 'Smith*')).toMatch(/^# More than 50 matched/m);
  }, 60_000);
});

describe('the public HTTP listener with every connection taken', () => {
  const ALL = 40;
  let server: PublicHttpServer;
  let slowInFlight = 0;
  let release: () => void = () => {};
  let released = new Promise<void>((resolve) => {
    release = resolve;
  });

  beforeAll(async () => {
    server = await startPublicHttp({
      host: '127.0.0.1',
      port: 0,
      trustProxy: [],
      connectionLimits: { all: ALL },
      routes: [
        {
          register: async (app) => {
            app.get('/ping', async () => 'pong');
            app.get('/slow', async () => {
              slowInFlight++;
              await released;
              return 'done';
            });
          },
        },
      ],
    });
  });
  afterAll(async () => {
    release();
    await server?.close();
  });

  const connect = (from: string) =>
    new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: server.port, localAddress: from }, () =>
        resolve(socket),
      );
      socket.once('error', reject);
    });
  const answerOf = (socket: net.Socket) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
  const ask = async (from: string, path: string) => {
    const socket = await connect(from);
    const answer = answerOf(socket);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    return answer;
  };

  it('closes the connection idle the longest for a newcomer, and answers it', async () => {
    const held: net.Socket[] = [];
    try {
      for (let network = 1; network <= ALL / 10; network++) {
        for (let i = 0; i < 10; i++) held.push(await connect(`127.0.${30 + network}.1`));
      }
      const firstClosed = new Promise<number>((resolve) => {
        for (const [i, socket] of held.entries()) socket.once('close', () => resolve(i));
      });
      expect(await ask('127.0.99.1', '/ping')).toMatch(/^HTTP\/1\.1 200 [\s\S]*pong$/);
      expect(await firstClosed).toBe(0);
    } finally {
      for (const socket of held) socket.destroy();
    }
  }, 60_000);

  it('turns a newcomer away (503) only when every connection is a request being answered', async () => {
    const busy: Array<Promise<string>> = [];
    for (let network = 1; network <= ALL / 10; network++) {
      for (let i = 0; i < 10; i++) busy.push(ask(`127.0.${40 + network}.1`, '/slow'));
    }
    // Every slow request in: a newcomer finds no idle connection.
    for (let tries = 0; slowInFlight < ALL; tries++) {
      expect(tries).toBeLessThan(600);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const refused = await ask('127.0.98.1', '/ping');
    expect(refused).toMatch(/^HTTP\/1\.1 503 [\s\S]*Every connection is busy answering/);
    release();
    for (const answer of await Promise.all(busy)) expect(answer).toMatch(/done$/);
    released = Promise.resolve();
    expect(await ask('127.0.98.1', '/ping')).toMatch(/pong$/);
  }, 60_000);
});

describe('the public HTTP listener behind a trusted proxy', () => {
  const PROXY = '127.0.9.1';
  let server: PublicHttpServer;

  beforeAll(async () => {
    server = await startPublicHttp({
      host: '127.0.0.1',
      port: 0,
      trustProxy: [PROXY],
      connectionLimits: { perClient: 2, perNetwork: 64 },
      routes: [{ register: async (app) => void app.get('/ping', async () => 'pong') }],
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  const connect = (from: string) =>
    new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port: server.port, localAddress: from }, () =>
        resolve(socket),
      );
      socket.once('error', reject);
    });
  /** What the server sent within a while of connecting ('' when it said nothing and kept the socket). */
  const firstWords = (socket: net.Socket, waitMs: number) =>
    new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => resolve(Buffer.concat(chunks).toString('utf8')), waitMs);
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });

  it("holds a client that connects past the proxy to its share, and the proxy's connections to none", async () => {
    const held: net.Socket[] = [];
    try {
      // The proxy carries everyone's requests: more than a client's share stay open.
      for (let i = 0; i < 5; i++) held.push(await connect(PROXY));
      const fromProxy = await Promise.all(held.map((s) => firstWords(s, 1_000)));
      expect(fromProxy).toEqual(Array(5).fill(''));
      // A client reaching the listener directly is no proxy: its third connection is refused.
      for (let i = 0; i < 2; i++) held.push(await connect('127.0.9.2'));
      const extra = await connect('127.0.9.2');
      held.push(extra);
      expect(await firstWords(extra, 10_000)).toMatch(
        /^HTTP\/1\.1 429 [\s\S]*E_QUERY_RATE: more than 2 connections at once from your address\.$/m,
      );
    } finally {
      for (const socket of held) socket.destroy();
    }
  }, 60_000);
});
