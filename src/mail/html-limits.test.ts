import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HTML_LIMITS, measureHtml } from './html-limits.ts';
import { extractMail } from './index.ts';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/mail');

const nestedDivs = (n: number) => `${'<div>'.repeat(n)}x${'</div>'.repeat(n)}`;

function htmlMail(html: string, plain?: string): Buffer {
  const head = 'From: noc@isp.example\r\nTo: hostmaster@localhost\r\nSubject: deep\r\nMIME-Version: 1.0\r\n';
  if (plain === undefined)
    return Buffer.from(`${head}Content-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n`);
  return Buffer.from(
    `${head}Content-Type: multipart/alternative; boundary=b\r\n\r\n` +
      `--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${plain}\r\n` +
      `--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n--b--\r\n`,
  );
}

/** CPU time of `run`, the best of three (the least disturbed by other work on the machine). */
async function cpuMs(run: () => Promise<unknown>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const before = process.cpuUsage();
    await run();
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return best;
}

describe('HTML limits', () => {
  it('counts tags and nesting as htmlparser2 builds it', () => {
    // <p> closes an open <p>; void elements open nothing; the end tags count as tags too.
    expect(measureHtml('<div><p>a<p>b<br><img src=x></div>')).toMatchObject({ tags: 6, depth: 2 });
    // An end tag closes what is still open inside its element.
    expect(measureHtml('<div><font>a</div>'.repeat(1000))).toMatchObject({ depth: 2 });
    expect(measureHtml('<!-- <div><div> --><table><tr><td>x</td></tr></table>')).toMatchObject({
      tags: 6,
      depth: 3,
    });
    expect(measureHtml(nestedDivs(300)).depth).toBe(HTML_LIMITS.maxDepth + 1);
  });

  it('is not fooled by shapes that nest in the parser but look closed or flat', () => {
    const deep = HTML_LIMITS.maxDepth + 1;
    // HTML ignores the slash of <div/>: each opens a div.
    expect(measureHtml('<div/>'.repeat(1000)).depth).toBe(deep);
    // <li> closes only an <li> that is innermost: <p><li><p><li> nests.
    expect(measureHtml('<p><li>'.repeat(1000)).depth).toBe(deep);
    // A name ends only at blank, "/" or ">": </x.2> does not close <x.1>.
    expect(measureHtml('<x.1></x.2>'.repeat(1000)).depth).toBe(deep);
    // Many end tags that close nothing still count as tags.
    expect(measureHtml(`<b>${'</i>'.repeat(50_000)}`).tags).toBe(HTML_LIMITS.maxTags + 1);
  });

  it('deeply nested HTML alone is refused E_HTML_TOO_COMPLEX, naming the limits and plain text', async () => {
    for (const html of [
      nestedDivs(100_000),
      '<span>x</span>'.repeat(25_000),
      `<p>${'x'.repeat(1_100_000)}`,
    ]) {
      const r = await extractMail(htmlMail(html));
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.code).toBe('E_HTML_TOO_COMPLEX');
      expect(r.error.message).toContain(
        'at most 1,000,000 characters, 40,000 tags and 256 levels of nesting',
      );
      expect(r.error.message).toContain('plain text');
    }
  });

  it('with a text/plain alternative, the text is read and the HTML never refused', async () => {
    const eml = readFileSync(join(FIXTURES, 'plain-reassign-simple-5.0.eml'), 'utf8').replace(/\r\n/g, '\n');
    const plain = eml.slice(eml.indexOf('\n\n') + 2);
    const r = await extractMail(htmlMail(nestedDivs(100_000), plain));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.text).toContain('Template: ARIN-REASSIGN-SIMPLE-5.0');
  });

  it('ordinary HTML within the limits is still read', async () => {
    const r = await extractMail(readFileSync(join(FIXTURES, 'html-only-poc-modify.eml')));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.text).toContain('Template: ARIN-POC');
  });

  it('deep nesting costs time in proportion to its size, not its square', async () => {
    // Same shape, 16 times the size: 400,000 nested <div> took 70 s of CPU before the scan.
    const small = await cpuMs(() => extractMail(htmlMail(nestedDivs(12_500))));
    const large = await cpuMs(() => extractMail(htmlMail(nestedDivs(200_000))));
    expect(large / Math.max(small, 1)).toBeLessThan(16 * 3);
  });
});
