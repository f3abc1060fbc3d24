/**
 * What kind of mail a message holding no template is, in one ordered table: the first rule that
 * recognises the message decides, and a message no rule recognises is what it always was (a
 * refusal such as E_NO_TEMPLATE). A new kind of such mail (a request for help, a question
 * answering our mail...) is one more line in KIND_RULES, placed before the rules it must win
 * over, and one more member of MessageKind. Answers to a POC validation mail and its delivery
 * reports are the one kind decided outside this table: process-submission.ts asks
 * validation-mail.ts first (they are neither questions for staff nor requests for a service).
 *
 * It is asked only about a message whose text holds no template (the parser's E_NO_TEMPLATE,
 * HTML-only mail included), before refusing it: mail with templates is processed as ever, and
 * never reaches these rules.
 */
import type { Submission } from '../db/index.ts';
import type { ExtractedMail } from '../mail/index.ts';
import type { ServiceAnswer } from '../replies/index.ts';
import { isQuotedLine, type Problem, problem } from '../shared/index.ts';
import { type AnsweredMail, findAnsweredMail } from './answers-to-us.ts';
import type { WorkerContext } from './context.ts';
import { serviceRequested } from './mail-services.ts';
import { isAboutValidation } from './validation-mail.ts';
import { replyDecision } from './whom-to-answer.ts';

export interface MessageFacts {
  readonly submission: Submission;
  readonly mail: ExtractedMail;
  /** The sender asked for a dry run: nothing may be left for staff. */
  readonly dryRun: boolean;
  /** The sender's address as proven (whom we answer), if any: never the bare From. */
  readonly provenSender: string | undefined;
}

export type MessageKind =
  /** None of the kinds below: the message is refused as a whole as before (E_NO_TEMPLATE, E_HTML_ONLY). */
  | { readonly kind: 'templates' }
  /** No template, but an answer to mail we sent: a question or complaint for staff. */
  | { readonly kind: 'answer-to-us'; readonly answered: AnsweredMail }
  /** No template, but a request for a service of the mailbox: the guide (HELP) or blank forms. */
  | { readonly kind: 'service'; readonly service: ServiceAnswer }
  /** No template, and refused for a reason of its own kind (a dry run of an answer to our mail). */
  | { readonly kind: 'refused'; readonly problem: Problem };

interface KindRule {
  readonly name: string;
  recognise(ctx: WorkerContext, facts: MessageFacts): Promise<MessageKind | undefined>;
}

const answerToUs: KindRule = {
  name: 'answer to our mail',
  async recognise(ctx, facts) {
    // Machines (bounces, auto-replies, lists) are no questions: they stay what they were,
    // refused and not answered, so nothing answers a machine.
    if (facts.dryRun || !replyDecision(ctx, facts.submission).reply) return undefined;
    const answered = await findAnsweredMail(ctx.db, facts.mail, facts.provenSender, { bySubject: true });
    return answered ? { kind: 'answer-to-us', answered } : undefined;
  },
};

/**
 * A dry run of mail that answers ours (a POC validation mail, a reply, a notice, a ticket): a dry
 * run checks templates, validates nothing and leaves nothing for staff, so such mail is not
 * handled; the sender hears exactly that, not that no template was found.
 */
const dryRunOfAnAnswer: KindRule = {
  name: 'a dry run of an answer to our mail',
  async recognise(ctx, facts) {
    if (!facts.dryRun || !replyDecision(ctx, facts.submission).reply) return undefined;
    const what = isAboutValidation(ctx, facts.submission, facts.mail)
      ? 'answers a POC validation mail'
      : (await findAnsweredMail(ctx.db, facts.mail, facts.provenSender))
        ? 'answers mail we sent (a reply, a notice or a ticket)'
        : undefined;
    if (!what) return undefined;
    return {
      kind: 'refused',
      problem: problem(
        'E_DRY_RUN_NOT_TEMPLATES',
        `this message holds no template and ${what}; a dry run checks templates only: it validates nothing and passes nothing to hostmaster staff, so nothing was done. Send it again as a real run (no DRY-RUN in the Subject, no X-Hostmaster-Dry-Run header, not to a dry-run address).`,
      ),
    };
  },
};

/**
 * The sender's own lines beyond the first: an answer to our mail that asks for help and says
 * more ("Help! I did NOT make this change") is a complaint for staff, not a request for the guide.
 */
function saysMoreThanTheRequest(mail: ExtractedMail): boolean {
  const own = [];
  for (const line of mail.text.split('\n')) {
    if (line.trimEnd() === '--') break;
    if (line.trim() === '' || isQuotedLine(line)) continue;
    own.push(line);
    if (own.length > 1) return true;
  }
  return false;
}

/** A Subject answering another mail's (`Re:`, `RE :`, `Aw:`, as mail programs write it). */
const REPLY_SUBJECT = /^\s*(?:re|aw|sv)\s*:/i;

const mailboxService: KindRule = {
  name: 'a service of the mailbox (HELP, blank forms)',
  async recognise(ctx, facts) {
    const service = serviceRequested(facts.mail, ctx.config, ctx.blankForms);
    if (!service) return undefined;
    const replySubject = REPLY_SUBJECT.test(facts.mail.headers.subject ?? '');
    if (replySubject || saysMoreThanTheRequest(facts.mail)) {
      const answered = await findAnsweredMail(ctx.db, facts.mail, facts.provenSender);
      // An answer to our mail that says more than the request is a question or a complaint
      // for staff (the next rule): "Help! I did NOT make this change" must reach them.
      if (answered && saysMoreThanTheRequest(facts.mail)) return undefined;
      // "Re: help" or "Re: forms" answering our own answer is a question for staff too, not
      // the same request again: there the Subject is ours, and only the sender's own first
      // line can ask for a service.
      if (answered && replySubject) {
        const asked = serviceRequested(
          { ...facts.mail, headers: { ...facts.mail.headers, subject: '' } },
          ctx.config,
          ctx.blankForms,
        );
        return asked ? { kind: 'service', service: asked } : undefined;
      }
    }
    return { kind: 'service', service };
  },
};

/**
 * In order: the first rule that recognises a message decides its kind. (Answers to a POC
 * validation mail are recognised before any of these, see validation-mail.ts: they are neither
 * questions for staff nor requests for a service.)
 */
const KIND_RULES: readonly KindRule[] = [dryRunOfAnAnswer, mailboxService, answerToUs];

export async function messageKind(ctx: WorkerContext, facts: MessageFacts): Promise<MessageKind> {
  for (const rule of KIND_RULES) {
    const kind = await rule.recognise(ctx, facts);
    if (kind) return kind;
  }
  return { kind: 'templates' };
}
