/**
 * `npx tsx bench/reply-render.ts`: what rendering one reply costs, to judge src/replies/mime.ts
 * (a synchronous copy of what nodemailer's composer writes, with a fast path for the usual
 * headers) against nodemailer's own `MailComposer#compile().build()`. The mail is a digest reply
 * to three templates as the worker writes it (composeReplies), and the CPU is set beside what a
 * message costs the worker in the pipeline benchmark (bench/results/latest.md). And its body
 * (layout.ts) with its API keys hidden in one pass over it against each echo line hidden first.
 * REPLY_RENDERS (default 3000) mails per way, after as many to warm up.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import { composeReplies, loadReplyTexts } from '../src/replies/index.ts';
import { digestBody, digestBodyHidingEachLine } from '../src/replies/layout.ts';
import { renderTextMail, type TextMail } from '../src/replies/mime.ts';
import { threeTemplates } from '../test/replies/support/reports.ts';

const renders = Number(process.env['REPLY_RENDERS']) || 3000;

/** The TextMail composeReplies hands renderTextMail for the usual digest reply. */
async function typicalMail(): Promise<TextMail> {
  const [reply] = await composeReplies(threeTemplates(), {
    style: 'digest',
    from: 'hostmaster@registry.example',
    hostname: 'registry.example',
    texts: loadReplyTexts(),
    date: new Date('2026-11-22T10:00:00Z'),
  });
  const raw = reply!.raw;
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split);
  const body = raw.slice(split + 4);
  const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'mi').exec(head)?.[1] ?? '';
  return {
    from: header('From'),
    to: header('To'),
    subject: header('Subject'),
    messageId: header('Message-ID'),
    date: new Date(header('Date')),
    inReplyTo: header('In-Reply-To'),
    references: header('References').split(' '),
    headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
    text: body
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
  };
}

function composerOptions(mail: TextMail): MailComposer.Options {
  return {
    from: mail.from,
    to: typeof mail.to === 'string' ? mail.to : [...mail.to],
    subject: mail.subject,
    messageId: mail.messageId,
    date: mail.date,
    ...(mail.inReplyTo === undefined ? {} : { inReplyTo: mail.inReplyTo }),
    ...(mail.references === undefined ? {} : { references: [...mail.references] }),
    ...(mail.headers === undefined ? {} : { headers: { ...mail.headers } }),
    text: mail.text,
    newline: 'win',
  };
}

async function cpuMicrosPerMail(render: () => unknown): Promise<number> {
  for (let i = 0; i < renders; i++) await render();
  const before = process.cpuUsage();
  for (let i = 0; i < renders; i++) await render();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / renders;
}

const mail = await typicalMail();
const rendered = renderTextMail(mail);
const built = (await new MailComposer(composerOptions(mail)).compile().build()).toString();
if (rendered !== built) throw new Error('renderTextMail and nodemailer differ for this mail');
const fast = await cpuMicrosPerMail(() => renderTextMail(mail));
const nodemailer = await cpuMicrosPerMail(() => new MailComposer(composerOptions(mail)).compile().build());
const texts = loadReplyTexts();
const request = threeTemplates();
const body = digestBody(request, texts);
if (body !== digestBodyHidingEachLine(request, texts)) throw new Error('the two ways of hiding keys differ');
// By turns, three rounds each, the least of each kept: what ran before (nodemailer's garbage)
// weighs on whichever comes first.
const onePassRounds: number[] = [];
const eachLineRounds: number[] = [];
for (let i = 0; i < 3; i++) {
  eachLineRounds.push(await cpuMicrosPerMail(() => digestBodyHidingEachLine(request, texts)));
  onePassRounds.push(await cpuMicrosPerMail(() => digestBody(request, texts)));
}
const onePass = Math.min(...onePassRounds);
const eachLine = Math.min(...eachLineRounds);
const round = (n: number) => Math.round(n);
console.log(`a ${rendered.length}-byte digest reply, ${renders} renders each, CPU per mail:`);
console.log(`  src/replies/mime.ts (fast path)      ${round(fast)} µs`);
console.log(`  nodemailer compile().build()         ${round(nodemailer)} µs`);
console.log(`  saved per reply                       ${round(nodemailer - fast)} µs`);
console.log('its body (layout.ts), API keys hidden:');
console.log(`  in one pass over the body (digestBody) ${round(onePass)} µs`);
console.log(`  in each echo line, then the body        ${round(eachLine)} µs`);
