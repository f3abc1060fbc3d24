/**
 * Answers to the mailbox's services, not to templates: the guide (a message asking `help`), and
 * blank forms by mail (Subject `form ARIN-POC`, `forms`, `send templates`). Same envelope as
 * every reply (null sender, Auto-Submitted, threading, whom we answer); the status header says
 * which service answered (`X-Hostmaster-Status: HELP` or `FORMS`), never a template's status.
 *
 *   hostmasterd sent 1 blank forms: ARIN-POC-5.1.
 *   Submission: S123
 *   Form: ARIN-POC-5.1                                (one line per attached form)
 *   Unknown-form: ARIN-PCO; nearest: ARIN-POC-5.1     (a name asked for that we do not have)
 *
 *   <prose>
 */
import { oneLine } from './layout.ts';
import { fill, type ReplyTexts } from './texts.ts';
import { type ReplyRequest, SERVICE_STATUSES, type ServiceAnswer, type UnknownFormName } from './types.ts';

/** The labels of the forms answer: read by machines, not rewordable (like `Supersedes`). */
export const FORM_LABEL = 'Form';
export const UNKNOWN_FORM_LABEL = 'Unknown-form';

export function serviceStatus(answer: ServiceAnswer): string {
  return SERVICE_STATUSES[answer.kind];
}

function dryRunHow(addresses: readonly string[]): string {
  const ways = 'put DRY-RUN in the Subject (or the header "X-Hostmaster-Dry-Run: yes")';
  const to = addresses.length > 0 ? `, or send to ${addresses.join(' or ')}` : '';
  return (
    `${ways}${to}: every template is checked against the registry exactly as for real and ` +
    'answered with the Status it would get and a "Dry-run: yes" line, but nothing is changed and no ticket is issued.'
  );
}

function whereForms(answer: Extract<ServiceAnswer, { kind: 'help' }>): string {
  const byMail =
    'Blank forms by mail: send a message with the Subject "forms" (all of them) or "form ARIN-POC" (one).';
  return answer.formsUrl ? `Blank forms are published at ${answer.formsUrl}\n${byMail}` : byMail;
}

/** The text of a service's answer: summary, Submission line, machine lines, prose, footer. */
export function serviceBody(request: ReplyRequest, answer: ServiceAnswer, texts: ReplyTexts): string {
  const p = texts.phrases;
  const submission = `${p['label.submission']}: ${oneLine(request.submissionId)}`;
  const footer = fill(texts.prose.footer, { submission: oneLine(request.submissionId) });
  if (answer.kind === 'help') {
    const prose = fill(texts.prose.help, {
      forms: answer.forms.map((f) => `  ${f}`).join('\n'),
      'where-forms': whereForms(answer),
      'max-templates': answer.maxTemplates,
      'dry-run': dryRunHow(answer.dryRunAddresses),
    });
    return `${[[p['summary.help'], submission].join('\n'), prose, footer].join('\n\n')}\n`;
  }
  const names = answer.attached.map((f) => f.name);
  // Nothing an unproven sender wrote goes back out (whom we answer): not even a form's name.
  const asked = (u: UnknownFormName) => (request.withoutOriginalText ? '(not shown)' : oneLine(u.asked));
  const summary =
    names.length > 0
      ? fill(p['summary.forms'], { count: names.length, forms: names.join(', ') })
      : fill(p['summary.no-forms'], { asked: answer.unknown.map(asked).join(', ') });
  const lines = [
    summary,
    submission,
    ...names.map((name) => `${FORM_LABEL}: ${name}`),
    ...answer.unknown.map(
      (u) =>
        `${UNKNOWN_FORM_LABEL}: ${asked(u)}; nearest: ${u.nearest.length > 0 ? u.nearest.join(', ') : 'none'}`,
    ),
  ];
  const catalogue =
    names.length === 0 ? [`Forms we accept:\n${answer.forms.map((f) => `  ${f}`).join('\n')}`] : [];
  return `${[lines.join('\n'), ...catalogue, texts.prose.forms, footer].join('\n\n')}\n`;
}
