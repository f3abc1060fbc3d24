/** Signing in and out, and replacing a one-time password. */
import type { FastifyInstance } from 'fastify';
import type { PageContext } from '../server.ts';
import { closeEverySession, closeSession, openSession, SESSION_COOKIE, setFlash } from '../sessions.ts';
import { changePassword, SignInThrottleUnavailable, signIn } from '../staff-accounts.ts';
import { AFTER_SIGN_IN, field, safeNext } from './form.ts';

export function registerAuthRoutes(app: FastifyInstance, page: PageContext): void {
  const cookieOptions = { ...page.cookieOptions, httpOnly: true, sameSite: 'strict', path: '/' } as const;

  app.get('/login', async (request, reply) => {
    if (request.staff) return reply.redirect(AFTER_SIGN_IN, 303);
    return await page.render(request, reply, 'login', {
      title: 'Sign in',
      next: safeNext(field(request.query, 'next')),
      email: '',
      error: undefined,
    });
  });

  app.post('/login', async (request, reply) => {
    const email = field(request.body, 'email');
    const next = safeNext(field(request.body, 'next'));
    const result = await signIn(
      page.db,
      email,
      field(request.body, 'password'),
      request.ip,
      page.throttle,
    ).catch((error: Error) => {
      // No counting, no checking: a password is never tried without the throttle's say. Any
      // other failure is not Redis's: the error handler answers it as what it is.
      if (!(error instanceof SignInThrottleUnavailable)) throw error;
      page.logger?.error({ err: error.outage }, 'sign-in throttle unavailable');
      return undefined;
    });
    if (!result) {
      return await page.render(request, reply.code(503), 'login', {
        title: 'Sign in',
        next,
        email,
        error:
          'Signing in is unavailable: the console cannot reach Redis, where sign-in attempts are counted. Try again in a minute.',
      });
    }
    if (!result.ok) {
      const wait = result.error.retryAfterSeconds;
      if (wait !== undefined) reply.header('Retry-After', String(wait));
      return await page.render(request, reply.code(wait !== undefined ? 429 : 401), 'login', {
        title: 'Sign in',
        next,
        email,
        error: `${result.error.message.charAt(0).toUpperCase()}${result.error.message.slice(1)}.`,
      });
    }
    const { checkedHash, ...user } = result.value;
    const token = await openSession(page.db, user, checkedHash);
    if (token === undefined) {
      // The password was changed (or the account removed) while this one was being checked.
      return await page.render(request, reply.code(401), 'login', {
        title: 'Sign in',
        next,
        email,
        error: 'That e-mail address and password do not match.',
      });
    }
    reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions, maxAge: 12 * 3600 });
    return reply.redirect(result.value.mustChangePassword ? '/password' : next, 303);
  });

  app.post('/logout', async (request, reply) => {
    // `everywhere`: every session of the account ends (other browsers, a session someone else holds).
    if (request.staff && field(request.body, 'everywhere') === 'yes') {
      await closeEverySession(page.db, request.staff.id);
    } else if (request.staff) await closeSession(page.db, request.staff.tokenDigest);
    reply.clearCookie(SESSION_COOKIE, cookieOptions);
    return reply.redirect('/login', 303);
  });

  app.get('/password', async (request, reply) =>
    page.render(request, reply, 'password', { title: 'Choose a password', error: undefined }),
  );

  app.post('/password', async (request, reply) => {
    const staff = request.staff!;
    const next = field(request.body, 'new_password');
    if (next !== field(request.body, 'repeat_password')) {
      return await page.render(request, reply.code(400), 'password', {
        title: 'Choose a password',
        error: 'The two new passwords differ.',
      });
    }
    const result = await changePassword(
      page.db,
      staff,
      field(request.body, 'current_password'),
      next,
      staff.tokenDigest,
    );
    if (!result.ok) {
      return await page.render(request, reply.code(400), 'password', {
        title: 'Choose a password',
        error: `${result.error.message.charAt(0).toUpperCase()}${result.error.message.slice(1)}.`,
      });
    }
    const ended = result.value.sessionsEnded;
    await setFlash(page.db, staff.tokenDigest, {
      kind: 'ok',
      text: `Your new password is set.${ended > 0 ? ` Your ${ended === 1 ? 'other session was' : `${ended} other sessions were`} signed out.` : ''}`,
    });
    return reply.redirect('/', 303);
  });
}
