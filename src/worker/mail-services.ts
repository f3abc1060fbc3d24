/**
 * The mailbox's services for a message that holds no template: the guide (HELP) and blank forms
 * by mail. A message with a template is always processed as one; these recognisers run only when
 * reading found none, so a Subject "forms" on a batch of templates changes nothing.
 */
import type { Config } from '../config/index.ts';
import { type ExtractedMail, isHelpRequest, readFormsRequest } from '../mail/index.ts';
import type { BlankForm, ServiceAnswer, UnknownFormName } from '../replies/index.ts';
import { editDistance, FORMS, type FormDefinition, findForm } from '../templates/index.ts';

/** The name of a form's current blank: its highest major, at the minor we publish. */
function currentName(form: FormDefinition): string {
  const latest = [...form.versions].sort((a, b) => b.major - a.major)[0]!;
  return `${form.name}-${latest.major}.${latest.latestMinor}`;
}

/** The current version of every form we accept, in the order of FORMS. */
function currentFormNames(): string[] {
  return FORMS.map(currentName);
}

/**
 * The blank form a name asks for: a published file by its exact name (`ARIN-POC-4.1`), a form's
 * current version by the form's name (`ARIN-POC`, `POC`), or a major's (`ARIN-POC-4`).
 */
function formNamed(asked: string, blanks: ReadonlyMap<string, BlankForm>): BlankForm | undefined {
  const name = asked.replace(/\.TXT$/i, '').toUpperCase();
  for (const blank of blanks.values()) if (blank.name.toUpperCase() === name) return blank;
  const form = findForm(name);
  if (form) return blanks.get(currentName(form));
  const versioned = /^(.+)-(\d+)(?:\.\d+)?$/.exec(name);
  const base = versioned ? findForm(versioned[1]!) : undefined;
  const version = base?.versions.find((v) => v.major === Number(versioned![2]));
  return base && version ? blanks.get(`${base.name}-${version.major}.${version.latestMinor}`) : undefined;
}

/** Up to three published names within a third of the asked name's length (at least 3 edits), nearest first. */
function nearestNames(asked: string, blanks: ReadonlyMap<string, BlankForm>): string[] {
  const word = asked.toUpperCase();
  const limit = Math.max(3, Math.floor(word.length / 3));
  const scored = [...blanks.keys()].flatMap((name) => {
    const upper = name.toUpperCase();
    // The form's name alone counts too: `ARIN-PCO` is near `ARIN-POC`, not only `ARIN-POC-5.1`.
    const bare = upper.replace(/-\d+\.\d+$/, '');
    const d = Math.min(
      editDistance(word, upper, limit),
      editDistance(word, bare, limit),
      editDistance(`ARIN-${word}`, bare, limit),
    );
    return d <= limit ? [{ name, d }] : [];
  });
  const current = new Set(currentFormNames());
  return scored
    .sort((a, b) => a.d - b.d || Number(current.has(b.name)) - Number(current.has(a.name)))
    .slice(0, 3)
    .map((s) => s.name);
}

/** The answer a message without templates asks for, if it asks for a service at all. */
export function serviceRequested(
  mail: ExtractedMail,
  config: Config,
  blanks: ReadonlyMap<string, BlankForm>,
): ServiceAnswer | undefined {
  const forms = readFormsRequest(mail.headers.subject);
  if (forms) {
    const current = currentFormNames();
    if (forms.all) {
      return {
        kind: 'forms',
        attached: current.flatMap((n) => blanks.get(n) ?? []),
        unknown: [],
        forms: current,
      };
    }
    const attached: BlankForm[] = [];
    const unknown: UnknownFormName[] = [];
    for (const asked of forms.names) {
      const found = formNamed(asked, blanks);
      if (!found) unknown.push({ asked, nearest: nearestNames(asked, blanks) });
      else if (!attached.includes(found)) attached.push(found);
    }
    // "Templates for Acme" with the templates forgotten: no template, not a request for forms.
    if (forms.loose && attached.length === 0) return undefined;
    return { kind: 'forms', attached, unknown, forms: current };
  }
  if (isHelpRequest({ subject: mail.headers.subject, text: mail.text })) {
    return {
      kind: 'help',
      forms: currentFormNames(),
      ...(config.public.url ? { formsUrl: `${config.public.url}/templates/` } : {}),
      maxTemplates: config.limits.maxTemplatesPerMessage,
      dryRunAddresses: config.dryRunAddresses,
    };
  }
  return undefined;
}
