/**
 * Raw MIME -> the text blocks a human or a billing system meant: the text/plain body, text
 * attachments (also `application/octet-stream` that is really text), or the HTML converted
 * when there is no plain text. Never throws: garbage in, a Problem out.
 */
import { type Attachment, simpleParser } from 'mailparser';
import { fail, ok, problem, type Result } from '../shared/errors.ts';
import { decodeText, looksLikeText, normalizeNewlines, trimTrailingNewlines } from './decode.ts';
import { automationSignals, readHeaders } from './headers.ts';
import { htmlToPlainText } from './html.ts';
import { stripCleartextSignature } from './pgp.ts';
import type { ExtractedMail, TextBlock, TextSource } from './types.ts';

/** Attachments bigger than this are not templates (ten filled forms are a few KiB). */
const MAX_TEXT_ATTACHMENT = 1024 * 1024;

const TEXT_FILENAME = /\.(txt|text|tmpl|template|asc)$/i;
const NOT_TEXT_FILENAME = /\.(pdf|docx?|xlsx?|zip|gz|png|jpe?g|gif|p7s|sig|exe|bin)$/i;

function charsetOf(att: Attachment): string | undefined {
  const ct = att.headers.get('content-type');
  if (ct && typeof ct === 'object' && 'params' in ct && !Array.isArray(ct)) {
    const charset = (ct as { params: Record<string, string> }).params.charset;
    return charset || undefined;
  }
  return undefined;
}

type AttachmentVerdict = 'text' | 'html' | 'signature' | 'skip';

function classify(att: Attachment): AttachmentVerdict {
  const type = att.contentType.toLowerCase();
  const name = att.filename ?? '';
  if (type === 'application/pgp-signature') return 'signature';
  if (att.size > MAX_TEXT_ATTACHMENT) return 'skip';
  if (type === 'text/html') return 'html';
  if (type === 'text/plain') return 'text';
  if (type === 'application/octet-stream' || type === 'text/x-template' || type.startsWith('text/')) {
    if (NOT_TEXT_FILENAME.test(name)) return 'skip';
    // No extension, a text extension or a text type: keep it if the bytes are text.
    if (type.startsWith('text/') || TEXT_FILENAME.test(name) || !/\.[A-Za-z0-9]{1,5}$/.test(name)) {
      return looksLikeText(att.content) ? 'text' : 'skip';
    }
  }
  return 'skip';
}

interface PendingBlock {
  readonly source: TextSource;
  readonly filename?: string;
  readonly contentType: string;
  readonly text: string;
}

function assemble(pending: readonly PendingBlock[]): { text: string; blocks: TextBlock[] } {
  const blocks: TextBlock[] = [];
  const parts: string[] = [];
  const seen = new Set<string>();
  let line = 1;
  for (const p of pending) {
    const text = trimTrailingNewlines(p.text);
    if (text.trim().length === 0) continue;
    // Some clients put the same template in the body and in an attachment: read it once, or
    // the worker would apply it twice.
    const identity = text.trim();
    if (seen.has(identity)) continue;
    seen.add(identity);
    blocks.push({ ...p, text, firstLine: line });
    parts.push(text);
    line += text.split('\n').length + 1; // +1 for the blank separator line
  }
  return { text: parts.join('\n\n'), blocks };
}

export async function extractMail(raw: Buffer): Promise<Result<ExtractedMail>> {
  let parsed: Awaited<ReturnType<typeof simpleParser>>;
  try {
    parsed = await simpleParser(raw, {
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipImageLinks: true,
      skipTextLinks: true,
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return fail(problem('E_BAD_MIME', `the message could not be read as MIME: ${why.slice(0, 200)}`));
  }
  try {
    const headers = readHeaders(parsed);
    const pending: PendingBlock[] = [];
    let pgpSigned = false;
    let htmlOnly = false;

    const addText = (source: TextSource, contentType: string, text: string, filename?: string) => {
      const unsigned = stripCleartextSignature(normalizeNewlines(text));
      pgpSigned ||= unsigned.signed;
      pending.push({ source, contentType, text: unsigned.text, ...(filename ? { filename } : {}) });
    };

    if (typeof parsed.text === 'string' && parsed.text.trim().length > 0) {
      addText('body', 'text/plain', parsed.text);
    } else if (typeof parsed.html === 'string' && parsed.html.trim().length > 0) {
      htmlOnly = true;
      addText('html', 'text/html', htmlToPlainText(parsed.html));
    }

    for (const att of parsed.attachments ?? []) {
      const verdict = classify(att);
      if (verdict === 'signature') pgpSigned = true;
      if (verdict === 'text')
        addText('attachment', att.contentType, decodeText(att.content, charsetOf(att)), att.filename);
      if (verdict === 'html') {
        addText(
          'attachment',
          att.contentType,
          htmlToPlainText(decodeText(att.content, charsetOf(att))),
          att.filename,
        );
      }
    }
    if (headers.contentType === 'multipart/signed') pgpSigned = true;

    const { text, blocks } = assemble(pending);
    return ok({ headers, text, blocks, pgpSigned, htmlOnly, automation: automationSignals(headers) });
  } catch (err) {
    // mailparser hands back odd shapes for odd input; whatever breaks here is still the sender's MIME.
    const why = err instanceof Error ? err.message : String(err);
    return fail(problem('E_BAD_MIME', `the message could not be read: ${why.slice(0, 200)}`));
  }
}
