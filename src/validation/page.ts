/**
 * The public `/validate/TOKEN` page, a fastify plugin for the public role's listener: GET shows
 * which POC the link is for and a confirm button, and changes nothing (a mail scanner or a
 * link preview opening the link must not validate anyone); POST validates, once. The token is a
 * secret: the routes log below `warn` (so no request line carries the URL), the logger hides the
 * token's shape anyway, and the pages send no Referer and are not cached or indexed.
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Database } from '../db/index.ts';
import { HEADER_STATUS } from '../replies/index.ts';
import { findValidationTokens, formatProblem, type Problem } from '../shared/index.ts';
import { answerByToken, requestForToken } from './answers.ts';
import type { ValidationCounters } from './metrics.ts';

export interface ValidationPageOptions {
  readonly db: Database;
  /** The clock the answer period is judged by; the system's when absent. */
  readonly now?: () => Date;
  readonly metrics?: ValidationCounters;
}

const HEADERS = {
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'X-Robots-Tag': 'noindex, nofollow',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .code(status)
    .headers(HEADERS)
    .type('text/html; charset=utf-8')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
        `<body style="font-family:sans-serif;max-width:40em;margin:2em auto"><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
    );
}

/** 404 for a token we never issued, 409 for one already used, 410 for one whose period ended. */
function statusFor(p: Problem): number {
  if (p.code === 'E_VALIDATION_USED') return 409;
  if (p.code === 'E_VALIDATION_EXPIRED') return 410;
  return 404;
}

function refused(reply: FastifyReply, p: Problem): FastifyReply {
  reply.header(HEADER_STATUS, 'REJECTED');
  return page(reply, statusFor(p), 'Not validated', `<p>${escapeHtml(formatProblem(p))}</p>`);
}

/** The one token the path holds, upper-cased; undefined when it is not a token's shape. */
function tokenOf(raw: string): string | undefined {
  const found = findValidationTokens(raw);
  return found.length === 1 && found[0]!.length === raw.length ? found[0] : undefined;
}

const NOT_A_TOKEN: Problem = {
  code: 'E_VALIDATION_UNKNOWN',
  message:
    'this validation link is not one we know: check that it was copied whole; if it was, the POC it was for has been removed since, and nothing is left to validate',
};

export const validationPage: FastifyPluginAsync<ValidationPageOptions> = async (app, options) => {
  const now = options.now ?? (() => new Date());
  // The confirm form posts nothing but the button; a public server without a form parser still
  // takes it. Inside this plugin only: fastify keeps it to this plugin's routes.
  if (!app.hasContentTypeParser('application/x-www-form-urlencoded')) {
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_req, _body, done) => done(null, {}),
    );
  }
  const quiet = { logLevel: 'warn' as const };
  // A database or Redis fault under the page (an outage, a restart) is a page that says to try
  // again, never the error's message: that holds SQL, its parameters and internal addresses.
  app.setErrorHandler((error, request, reply) => {
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return page(
        reply,
        status,
        'Not understood',
        '<p>This request could not be read; open the link from our validation mail as it is.</p>',
      );
    }
    // Logged without the URL (it holds the token) and without the error's parameters.
    request.log.error({ code: (error as { code?: unknown }).code }, 'validation page failed');
    reply.header('Retry-After', '60');
    return page(
      reply,
      503,
      'Try again shortly',
      '<p>The registry could not answer just now; nothing was changed. Try again in a few minutes: your link stays valid until the date in our mail.</p>',
    );
  });

  app.get<{ Params: { token: string } }>('/validate/:token', quiet, async (request, reply) => {
    const token = tokenOf(request.params.token);
    if (!token) return refused(reply, NOT_A_TOKEN);
    const found = await requestForToken(options.db, token, now());
    if (!found.ok) return refused(reply, found.problem);
    const handle = escapeHtml(found.handle);
    return page(
      reply,
      200,
      `Annual validation of POC ${found.handle}`,
      `<p>Press the button to confirm that the WHOIS record of POC <b>${handle}</b>, as our validation mail showed it, is correct and complete.</p>` +
        `<p>If something changed, do not press it: reply to the validation mail with a POC template (ARIN-POC-5.1, action M) holding the correct details instead.</p>` +
        `<form method="post" action="${escapeHtml(token)}"><button type="submit">The record of ${handle} is correct</button></form>`,
    );
  });

  app.post<{ Params: { token: string } }>('/validate/:token', quiet, async (request, reply) => {
    const token = tokenOf(request.params.token);
    if (!token) return refused(reply, NOT_A_TOKEN);
    const verdict = await options.db.transaction((tx) => answerByToken(tx, token, now()));
    if (!verdict.ok) return refused(reply, verdict.problem);
    options.metrics?.validationEvent('answered');
    reply.header(HEADER_STATUS, 'VALIDATED');
    return page(
      reply,
      200,
      `POC ${verdict.handle} validated`,
      `<p>Thank you: POC <b>${escapeHtml(verdict.handle)}</b> is validated until ${verdict.validUntil.toISOString().slice(0, 10)}. We will ask again in a year.</p>`,
    );
  });
};
