/**
 * The blank forms over HTTP: /templates/ lists every form we accept (the shared room's one
 * reading of `templates/`, the same forms a request by mail is sent), /templates/NAME.txt serves
 * one. Only the forms found in that folder at start are served: a path is never built from what
 * was asked.
 */
import type { FastifyInstance } from 'fastify';
import { readBlankForms } from '../shared/index.ts';
import type { PublicMetrics } from './metrics.ts';

/** The forms change only with a new release: an hour in a cache is harmless. */
const FORM_CACHE_CONTROL = 'public, max-age=3600';

export interface TemplatesRoutesOptions {
  readonly metrics: PublicMetrics;
  /** How many templates one message may carry (MAX_TEMPLATES_PER_MESSAGE). */
  readonly maxTemplatesPerMessage: number;
  /** The folder of blank forms (tests may point elsewhere). */
  readonly dir?: string;
}

export async function templatesRoutes(app: FastifyInstance, options: TemplatesRoutesOptions): Promise<void> {
  // Served by file name (`ARIN-POC-5.1.txt`), as the forms are published and mailed.
  const forms = new Map(
    [...readBlankForms(options.dir).values()].map((form) => [`${form.name}.txt`, form.text]),
  );
  const listing = [
    'Blank registration templates: fill one in, keep everything from the "Template:" line to',
    `"END OF TEMPLATE", and mail it to the hostmaster address (up to ${options.maxTemplatesPerMessage} in one message).`,
    '',
    ...forms.keys(),
    '',
  ].join('\n');
  app.get('/templates', async (_request, reply) => reply.redirect('/templates/', 301));
  app.get('/templates/', async (_request, reply) => {
    options.metrics.queryAnswered('rdap', 'templates', 'found');
    return reply
      .type('text/plain; charset=utf-8')
      .header('access-control-allow-origin', '*')
      .header('cache-control', FORM_CACHE_CONTROL)
      .send(listing);
  });
  app.get<{ Params: { name: string } }>('/templates/:name', async (request, reply) => {
    const form = forms.get(request.params.name);
    if (form === undefined) {
      options.metrics.queryAnswered('rdap', 'templates', 'not_found');
      return reply
        .code(404)
        .header('cache-control', 'no-store')
        .type('text/plain; charset=utf-8')
        .send(`No blank form is called ${JSON.stringify(request.params.name)}; the list is at /templates/\n`);
    }
    options.metrics.queryAnswered('rdap', 'templates', 'found');
    return reply
      .type('text/plain; charset=utf-8')
      .header('access-control-allow-origin', '*')
      .header('cache-control', FORM_CACHE_CONTROL)
      .send(form);
  });
}
