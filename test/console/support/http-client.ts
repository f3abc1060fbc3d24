/**
 * A browser's worth of HTTP for console tests: a cookie jar, the CSRF token of the last page, and
 * signing in; redirects are not followed, so a test sees each Location. Extra headers (e.g.
 * X-Forwarded-For through a trusted proxy) go with every request.
 */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

/** A form's fields; a list is the field repeated (as checkboxes post it). */
export type FormFields = Record<string, string | readonly string[]>;

export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  /** The CSRF token of the last page that carried a form. */
  token = '';

  constructor(
    readonly baseUrl: string,
    readonly extraHeaders: Record<string, string> = {},
  ) {}

  async request(
    method: string,
    path: string,
    options: { form?: FormFields; json?: unknown; headers?: Record<string, string> } = {},
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...this.extraHeaders, ...options.headers };
    if (this.cookies.size > 0) {
      headers['cookie'] = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    let body: string | undefined;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(
        Object.entries(options.form).flatMap(([name, value]) =>
          (typeof value === 'string' ? [value] : value).map((one): [string, string] => [name, one]),
        ),
      ).toString();
    } else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      redirect: 'manual',
      ...(body !== undefined ? { body } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (token) this.token = token;
    return { status: response.status, headers: response.headers, body: text };
  }

  get(path: string): Promise<HttpResponse> {
    return this.request('GET', path);
  }

  /** A form POST carrying the current CSRF token (unless the form names its own). */
  post(path: string, form: FormFields = {}): Promise<HttpResponse> {
    return this.request('POST', path, { form: { _csrf: this.token, ...form } });
  }

  /** Opens the sign-in page (for its token) and signs in; the response is the POST's. */
  async signIn(email: string, password: string): Promise<HttpResponse> {
    await this.get('/login');
    return await this.post('/login', { email, password });
  }
}
