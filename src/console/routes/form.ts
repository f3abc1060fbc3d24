/** Reading urlencoded form bodies and query strings, whose values may be missing, one string, or repeated. */
export type FormBody = Readonly<Record<string, string | string[] | undefined>> | undefined | null;

export function field(body: unknown, name: string): string {
  const value = (body as FormBody)?.[name];
  if (Array.isArray(value)) return value[0] ?? '';
  return typeof value === 'string' ? value : '';
}

export function fields(body: unknown, name: string): string[] {
  const value = (body as FormBody)?.[name];
  if (Array.isArray(value)) return value;
  return typeof value === 'string' && value !== '' ? [value] : [];
}

/** Only our own paths: never `//host` or `https://...`, so sign-in cannot bounce elsewhere. */
export function safeNext(raw: string): string {
  return /^\/(?![/\\])/.test(raw) ? raw : '/';
}
