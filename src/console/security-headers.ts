/**
 * The headers every console response carries. The console's own pages need nothing inline: one
 * optional script from /queue-keys.js (keyboard shortcuts; every flow works without it), styles
 * from /console.css. bull-board (under /queues) runs its own scripts from
 * its static folder and has inline styles: its pages allow scripts from here and those styles
 * by their hashes, computed from the page as sent.
 */
import { createHash } from 'node:crypto';

const COMMON = ["frame-ancestors 'none'", "form-action 'self'", "object-src 'none'"];

/** The console's pages: server-rendered HTML and one stylesheet. */
export const CONSOLE_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  // One served file, /queue-keys.js (the queue's keyboard shortcuts); never inline.
  "script-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  ...COMMON,
].join('; ');

/**
 * bull-board's pages: its scripts and styles from /queues/static, its API over fetch, and the
 * inline styles of `html` by hash. Its page holds a <style> block and a few style attributes (the
 * "Loading" placeholder): each allowed by its own hash ('unsafe-hashes' lets hashes cover
 * attributes), nothing else inline.
 */
export function dashboardPolicy(html: string | undefined): string {
  const blocks = html ? hashesOf(html, /<style\b[^>]*>([\s\S]*?)<\/style>/gi) : [];
  const attributes = html ? hashesOf(html, /\sstyle="([^"]*)"/gi) : [];
  const style = [
    "style-src 'self'",
    ...blocks,
    ...(attributes.length > 0 ? ["'unsafe-hashes'", ...attributes] : []),
  ];
  return [
    "default-src 'self'",
    "script-src 'self'",
    style.join(' '),
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'self'",
    ...COMMON,
  ].join('; ');
}

/** `'sha256-...'` of each first group of `pattern` in `html`, as the browser hashes inline styles. */
function hashesOf(html: string, pattern: RegExp): string[] {
  const hashes = new Set<string>();
  for (const match of html.matchAll(pattern)) {
    const text = decodeEntities(match[1] ?? '');
    hashes.add(`'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`);
  }
  return [...hashes];
}

/** The few entities an attribute value may carry; the browser hashes the decoded value. */
function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

export const FIXED_HEADERS: Readonly<Record<string, string>> = {
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
};
