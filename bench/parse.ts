/**
 * `npm run bench:parse`: templates per second for
 *   - parsing alone (text -> typed requests),
 *   - extraction + parsing (raw MIME -> typed requests),
 *   - mailparser alone on the same messages (the floor extraction can't beat),
 * on the mail fixtures, one core. Prints the ratio extraction+parsing / mailparser alone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { extractMail } from '../src/mail/index.ts';
import { parseSubmission } from '../src/templates/index.ts';

const DIR = join(import.meta.dirname, '../test/fixtures/mail');
const messages = readdirSync(DIR)
  .filter((n) => n.endsWith('.eml'))
  .map((n) => readFileSync(join(DIR, n)));

const texts: { subject: string; text: string }[] = [];
let templatesPerRound = 0;
for (const raw of messages) {
  const mail = await extractMail(raw);
  if (!mail.ok) continue;
  texts.push({ subject: mail.value.headers.subject, text: mail.value.text });
  const parse = parseSubmission({ subject: mail.value.headers.subject, text: mail.value.text });
  if (parse.ok) templatesPerRound += parse.templates.length;
}

/**
 * Best of five slices: this machine is shared, and the best slice is the closest to what one
 * idle core does (the median is printed too, for honesty).
 */
async function timed(label: string, seconds: number, round: () => Promise<void> | void): Promise<number> {
  for (let i = 0; i < 20; i++) await round(); // warm up the JIT
  const rates: number[] = [];
  let totalRounds = 0;
  for (let slice = 0; slice < 5; slice++) {
    let rounds = 0;
    const start = process.hrtime.bigint();
    const budget = BigInt(Math.round((seconds / 5) * 1e9));
    while (process.hrtime.bigint() - start < budget) {
      await round();
      rounds++;
    }
    const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push((rounds * templatesPerRound) / elapsed);
    totalRounds += rounds;
  }
  rates.sort((a, b) => b - a);
  const best = rates[0] ?? 0;
  const median = rates[2] ?? 0;
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(10);
  console.log(
    `${label.padEnd(24)} ${fmt(best)} templates/s best, ${fmt(median)} median  (${totalRounds} rounds of ${messages.length} messages)`,
  );
  return best;
}

console.log(`${messages.length} fixture messages, ${templatesPerRound} parsable templates per round\n`);
const parseOnly = await timed('parsing alone', 3, () => {
  for (const t of texts) parseSubmission(t);
});
const mailparserOnly = await timed('mailparser alone', 3, async () => {
  for (const raw of messages)
    await simpleParser(raw, {
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipImageLinks: true,
      skipTextLinks: true,
    });
});
const full = await timed('extraction + parsing', 3, async () => {
  for (const raw of messages) {
    const mail = await extractMail(raw);
    if (mail.ok) parseSubmission({ subject: mail.value.headers.subject, text: mail.value.text });
  }
});

console.log(
  `\nextraction+parsing / mailparser alone: ${(full / mailparserOnly).toFixed(2)} (1.00 = no cost beyond mailparser)`,
);
console.log(`parsing alone: ${parseOnly >= 20_000 ? 'meets' : 'MISSES'} the 20,000 templates/s target`);
