/** Signing in to a running console through its login form, as a staff member's browser does. */
import { expect } from 'vitest';

export type SignedInGet = (path: string) => Promise<{ status: number; body: string }>;

/** Signs in through the login form; answers a GET that carries the session. */
export async function signIn(baseUrl: string, email: string, password: string): Promise<SignedInGet> {
  const form = await fetch(`${baseUrl}/login`);
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const jar = form.headers.getSetCookie().map((c) => c.split(';')[0]);
  const res = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.join('; '), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, email, password }),
  });
  expect(res.status).toBe(303);
  const cookie = [...jar, ...res.headers.getSetCookie().map((c) => c.split(';')[0])].join('; ');
  return async (path) => {
    const page = await fetch(`${baseUrl}${path}`, { headers: { cookie }, redirect: 'manual' });
    return { status: page.status, body: await page.text() };
  };
}

/** A page as a reader sees its text: tags gone, the escapes eta writes undone. */
export function pageText(html: string): string {
  return html
    .replace(/<[^>]+>/g, '')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
