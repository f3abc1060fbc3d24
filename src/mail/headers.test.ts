/**
 * The headers that decide whether a message is answered, read from its header block alone: what
 * the worker uses for every message, and the only thing it can read of one whose MIME is broken.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readReplyHeaders } from './index.ts';

describe('readReplyHeaders', () => {
  it('reads a list mail as a mail client wrote it: folded lines, every Reply-To, the List-* fields by name', () => {
    const head = [
      'Return-Path: <noc-list-bounces@demo-isp.example>',
      'From: "Doe, Jane" <jane@demo-isp.example>',
      'Reply-To: NOC list',
      ' <noc-list@demo-isp.example>',
      'Reply-To: billing@demo-isp.example',
      'list-post: <mailto:noc-list@demo-isp.example>',
      'List-Unsubscribe: <mailto:noc-list-request@demo-isp.example?subject=unsubscribe>',
      'Precedence: bulk (newsletter)',
      'X-Loop: noc-list@demo-isp.example',
      'X-Loop: hostmaster@localhost',
      'Content-Type: multipart/mixed;',
      '\tboundary="b"',
      '',
      'Auto-Submitted: auto-replied',
      'X-Hostmaster-Status: REJECTED',
    ].join('\r\n');
    expect(readReplyHeaders(Buffer.from(head))).toEqual({
      from: '"Doe, Jane" <jane@demo-isp.example>',
      replyTo: 'NOC list <noc-list@demo-isp.example>, billing@demo-isp.example',
      returnPath: '<noc-list-bounces@demo-isp.example>',
      precedence: 'bulk (newsletter)',
      listFields: ['List-Post', 'List-Unsubscribe'],
      xLoop: ['noc-list@demo-isp.example', 'hostmaster@localhost'],
      contentType: 'multipart/mixed; boundary="b"',
    });
  });

  it('reads one of our own replies come back (LF line ends): its status header and Auto-Submitted', () => {
    const head =
      'From: hostmaster@localhost\nAuto-Submitted: auto-replied\nX-Hostmaster-Status: APPROVED\nList-Id: <x>\n';
    expect(readReplyHeaders(head)).toEqual({
      from: 'hostmaster@localhost',
      autoSubmitted: 'auto-replied',
      hostmasterStatus: 'APPROVED',
      listId: '<x>',
      listFields: ['List-Id'],
      xLoop: [],
    });
  });

  it('reads the auto-reply in the corpus as one (Auto-Submitted, Precedence)', () => {
    const raw = readFileSync(new URL('../../test/fixtures/mail/auto-reply.eml', import.meta.url));
    expect(readReplyHeaders(raw)).toMatchObject({ autoSubmitted: 'auto-replied', precedence: 'bulk' });
  });
});
