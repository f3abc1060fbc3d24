/** Signing in and out, and replacing a one-time password. */
import type { FastifyInstance } from 'fastify';
import type { PageContext } from '../server.ts';
import { closeSession, openSession, SESSION_COOKIE, setFlash } from '../sessions.ts';
import { changePassword, signIn } from '../staff-accounts.ts';
import { field, safeNext } from './form.ts';

const COOKIE_OPTIONS = { httpOnly: true, sameSite: 'strict', path: '/', secure: 'auto' } as const;

export function registerAuthRoutes(app: FastifyInstance, page: PageContext): void {
  app.get('/login', async (request, reply) => {
    if (request.staff) return reply.redirect('/', 303);
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
    const result = await signIn(page.db, email, field(request.body, 'password'), request.ip, page.lockout);
    if (!result.ok) {
      const status = result.error.code === 'E_LOCKED_OUT' ? 429 : 401;
      return await page.render(request, reply.code(status), 'login', {
        title: 'Sign in',
        next,
        email,
        error: `${result.error.message.charAt(0).toUpperCase()}${result.error.message.slice(1)}.`,
      });
    }
    const token = await openSession(page.db, result.value);
    reply.setCookie(SESSION_COOKIE, token, { ...COOKIE_OPTIONS, maxAge: 12 * 3600 });
    return reply.redirect(result.value.mustChangePassword ? '/password' : next, 303);
  });

  app.post('/logout', async (request, reply) => {
    if (request.staff) await closeSession(page.db, request.staff.tokenDigest);
    reply.clearCookie(SESSION_COOKIE, COOKIE_OPTIONS);
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
    const result = await changePassword(page.db, staff, field(request.body, 'current_password'), next);
    if (!result.ok) {
      return await page.render(request, reply.code(400), 'password', {
        title: 'Choose a password',
        error: `${result.error.message.charAt(0).toUpperCase()}${result.error.message.slice(1)}.`,
      });
    }
    await setFlash(page.db, staff.tokenDigest, { kind: 'ok', text: 'Your new password is set.' });
    return reply.redirect('/', 303);
  });
}
