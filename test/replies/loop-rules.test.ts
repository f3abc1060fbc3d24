/**
 * Whom hostmasterd answers. Every row is a kind of mail that lands in a hostmaster mailbox on an
 * ordinary day: a customer, a billing system, a bounce, an out-of-office, a list, ourselves.
 */
import { describe, expect, it } from 'vitest';
import { type IncomingMailFacts, type NoReplyReason, shouldReply } from '../../src/replies/index.ts';

const OURS = ['hostmaster@registry.example', 'Hostmaster-Replies@Registry.Example'];
const customer: IncomingMailFacts = {
  envelopeFrom: 'bounces+42@isp.example',
  from: 'Jane Doe <jane@isp.example>',
};

describe('mail we answer', () => {
  const rows: [string, IncomingMailFacts, string][] = [
    ['a customer: From', customer, 'jane@isp.example'],
    [
      'Reply-To wins over From',
      { ...customer, replyTo: 'Billing <billing@isp.example>' },
      'billing@isp.example',
    ],
    [
      'the first of several Reply-To addresses',
      { ...customer, replyTo: 'a@isp.example, b@isp.example' },
      'a@isp.example',
    ],
    ['Auto-Submitted: no is a person', { ...customer, autoSubmitted: 'no' }, 'jane@isp.example'],
    ['Precedence: first-class is not bulk', { ...customer, precedence: 'first-class' }, 'jane@isp.example'],
    [
      'Auto-Submitted: no, with a comment',
      { ...customer, autoSubmitted: 'No (sent by a person)' },
      'jane@isp.example',
    ],
    [
      "another robot's X-Loop (the customer's ticket system)",
      { ...customer, xLoop: ['tickets@isp.example'] },
      'jane@isp.example',
    ],
    [
      'a List- field that is not a list field (List-Unsubscribe-Post alone)',
      { ...customer, listFields: ['List-Unsubscribe-Post'] },
      'jane@isp.example',
    ],
    [
      "a billing system's mail through a sending service that adds List-Unsubscribe and List-Help",
      {
        ...customer,
        listFields: ['List-Unsubscribe', 'List-Unsubscribe-Post', 'List-Help', 'List-Subscribe'],
      },
      'jane@isp.example',
    ],
    ['piped in without an envelope', { from: 'jane@isp.example' }, 'jane@isp.example'],
    [
      'postmaster is a person (RFC 5321)',
      { envelopeFrom: 'postmaster@isp.example', from: 'Postmaster <postmaster@isp.example>' },
      'postmaster@isp.example',
    ],
    ['a +tag in a customer address', { from: 'jane+swip@isp.example' }, 'jane+swip@isp.example'],
    [
      'a nobody@ envelope sender (a web server) with a person in From',
      { envelopeFrom: 'nobody@www.isp.example', from: 'jane@isp.example' },
      'jane@isp.example',
    ],
    ['no From: the envelope sender', { envelopeFrom: 'jane@isp.example' }, 'jane@isp.example'],
    // Every address shape RFC 5322 allows is taken as it is written (quotes kept: the way it is sent to).
    [
      'Reply-To with a quoted local part holding a blank',
      { ...customer, replyTo: '"john doe"@isp.example' },
      '"john doe"@isp.example',
    ],
    [
      'Reply-To with a name and a quoted local part',
      { ...customer, replyTo: 'John <"john doe"@isp.example>' },
      '"john doe"@isp.example',
    ],
    [
      'Reply-To with an escaped quote in its quoted local part',
      { ...customer, replyTo: '"john\\"doe"@isp.example' },
      '"john\\"doe"@isp.example',
    ],
    [
      'a quoted local part that needs no quotes',
      { ...customer, replyTo: '"john.doe"@isp.example' },
      'john.doe@isp.example',
    ],
    [
      'Reply-To with an @ in its quoted local part',
      { ...customer, replyTo: '"a@b"@isp.example' },
      '"a@b"@isp.example',
    ],
    [
      'Reply-To with an internationalized address',
      { ...customer, replyTo: 'jörg@bücher.example' },
      'jörg@bücher.example',
    ],
    ['a From with a quoted local part', { from: '"jane doe"@isp.example' }, '"jane doe"@isp.example'],
  ];
  it.each(rows)('%s', (_name, facts, to) => {
    expect(shouldReply(facts, OURS)).toEqual({ reply: true, to });
  });
});

describe('mail we never answer', () => {
  const rows: [string, IncomingMailFacts, NoReplyReason][] = [
    ['a bounce: null envelope sender', { ...customer, envelopeFrom: '' }, 'null-sender'],
    ['a bounce: envelope sender <>', { ...customer, envelopeFrom: '<>' }, 'null-sender'],
    ['a bounce: Return-Path <>', { from: 'jane@isp.example', returnPath: '<>' }, 'null-sender'],
    [
      'MAILER-DAEMON',
      { envelopeFrom: 'x@isp.example', from: 'Mail Delivery System <MAILER-DAEMON@mx.isp.example>' },
      'mailer-daemon',
    ],
    [
      'MAILER-DAEMON with a +tag',
      { envelopeFrom: 'Mailer-Daemon+x@mx.isp.example', from: 'jane@isp.example' },
      'mailer-daemon',
    ],
    [
      'a delivery status notification',
      { ...customer, contentType: 'multipart/report; report-type=delivery-status; boundary="x"' },
      'delivery-report',
    ],
    ['an auto-reply', { ...customer, autoSubmitted: 'auto-replied' }, 'auto-submitted'],
    [
      'auto-generated mail',
      { ...customer, autoSubmitted: 'Auto-Generated; owner-email="x@y"' },
      'auto-submitted',
    ],
    ['Precedence: bulk', { ...customer, precedence: 'bulk' }, 'bulk-precedence'],
    ['Precedence: list', { ...customer, precedence: 'List' }, 'bulk-precedence'],
    ['Precedence: junk', { ...customer, precedence: ' junk ' }, 'bulk-precedence'],
    ['Precedence: bulk, with a comment', { ...customer, precedence: 'bulk (newsletter)' }, 'bulk-precedence'],
    ['Precedence: a comment first', { ...customer, precedence: '(digest) LIST' }, 'bulk-precedence'],
    ['a mailing list (List-Id)', { ...customer, listId: '<swip.lists.isp.example>' }, 'mailing-list'],
    ['a mailing list with List-Post only', { ...customer, listFields: ['List-Post'] }, 'mailing-list'],
    [
      'a mailing list with List-Owner only (any case)',
      { ...customer, listFields: ['list-owner'] },
      'mailing-list',
    ],
    [
      'a mailing list with List-Archive and List-Help',
      { ...customer, listFields: ['List-Archive', 'List-Help'] },
      'mailing-list',
    ],
    [
      'Reply-To a quoted no-reply box',
      { ...customer, replyTo: '"no reply"@isp.example' },
      'no-reply-address',
    ],
    [
      'Reply-To a quoted "Do Not Reply" box',
      { ...customer, replyTo: '"Do Not Reply"@isp.example' },
      'no-reply-address',
    ],
    ['a quoted mailer daemon', { ...customer, replyTo: '"Mailer Daemon"@mx.isp.example' }, 'mailer-daemon'],
    [
      'a quoted list request address',
      { ...customer, replyTo: '"noc-list-request"@isp.example' },
      'mailing-list',
    ],
    [
      'Reply-To our own address in quotes',
      { ...customer, replyTo: '"Host.Master+x"@Registry.Example' },
      'our-own-address',
    ],
    [
      'Reply-To a mailer-daemon: the reply would go to a bounce address',
      { ...customer, replyTo: 'MAILER-DAEMON@mx.isp.example' },
      'mailer-daemon',
    ],
    [
      'Reply-To a list request address',
      { ...customer, replyTo: 'NOC list <noc-list-request@isp.example>' },
      'mailing-list',
    ],
    [
      'a second Reply-To address is a list owner',
      { ...customer, replyTo: 'billing@isp.example, owner-noc@lists.isp.example' },
      'mailing-list',
    ],
    [
      'X-Loop naming our mailbox',
      { ...customer, xLoop: ['rt@isp.example', 'Hostmaster@Registry.Example'] },
      'our-own-address',
    ],
    [
      'one of our own replies back, Auto-Submitted stripped on the way',
      { ...customer, hostmasterStatus: 'REJECTED' },
      'our-own-reply',
    ],
    ['a list owner address', { ...customer, envelopeFrom: 'swip-request@lists.isp.example' }, 'mailing-list'],
    [
      'ourselves, in From',
      { envelopeFrom: 'x@registry.example', from: 'hostmaster@registry.example' },
      'our-own-address',
    ],
    [
      'ourselves, in Reply-To (any case)',
      { ...customer, replyTo: 'HOSTMASTER-REPLIES@registry.example' },
      'our-own-address',
    ],
    ['ourselves, as envelope sender', { envelopeFrom: 'hostmaster@registry.example' }, 'our-own-address'],
    ['ourselves with a trailing dot', { from: 'hostmaster@registry.example.' }, 'our-own-address'],
    [
      'ourselves with dots, a +tag and capitals',
      { from: 'Host.Master+loop@REGISTRY.Example' },
      'our-own-address',
    ],
    ['ourselves in brackets', { from: 'hostmaster@[registry.example]' }, 'our-own-address'],
    ['an IP-literal domain', { from: 'a@[127.0.0.1]' }, 'unanswerable-address'],
    ['an IPv6-literal domain', { from: 'a@[IPv6:::1]' }, 'unanswerable-address'],
    ['a trailing-dot domain', { from: 'jane@isp.example.' }, 'unanswerable-address'],
    ['a one-label domain', { from: 'jane@isp' }, 'unanswerable-address'],
    ['localhost', { from: 'jane@localhost' }, 'unanswerable-address'],
    ['localhost with a trailing dot', { from: 'jane@localhost.' }, 'unanswerable-address'],
    ['a .localdomain host', { from: 'root@box.localdomain' }, 'unanswerable-address'],
    ['a .localhost name', { from: 'jane@app.localhost' }, 'unanswerable-address'],
    ['an .invalid domain', { from: 'jane@isp.invalid' }, 'unanswerable-address'],
    ['a domain with an underscore label', { from: 'jane@bad_host.isp.example' }, 'unanswerable-address'],
    ['nobody@localhost', { from: 'nobody@localhost' }, 'no-reply-address'],
    ['nobody@ a real domain', { from: 'Nobody <nobody@isp.example>' }, 'no-reply-address'],
    ['noreply', { from: 'noreply@isp.example' }, 'no-reply-address'],
    ['No_Reply with a suffix and a tag', { from: 'No_Reply-Billing+7@isp.example' }, 'no-reply-address'],
    ['do-not-reply', { from: 'do-not-reply@isp.example' }, 'no-reply-address'],
    ['Reply-To donotreply', { ...customer, replyTo: 'DoNotReply@isp.example' }, 'no-reply-address'],
    ['nobody to answer', { envelopeFrom: 'not-an-address', from: 'undisclosed' }, 'no-address'],
    ['nothing known at all', {}, 'no-address'],
  ];
  it.each(rows)('%s', (_name, facts, reason) => {
    const decision = shouldReply(facts, OURS);
    expect(decision).toMatchObject({ reply: false, reason });
    expect(!decision.reply && decision.explanation.length).toBeGreaterThan(5);
  });
});
