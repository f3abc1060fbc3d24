/**
 * Log lines for a person at a terminal: pino's JSON line turned into
 * `2026-12-07 05:30:01.123 INFO  hostmasterd started roles=["ingress"] smtpPort=2525`.
 * pino-pretty is not a dependency; this is the small part of it we need. Off a terminal the
 * JSON goes out unchanged, for log collectors.
 */

const LEVEL_LABELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** Said once per process, not once per line. */
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

export function formatHumanLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  if (entry === null || typeof entry !== 'object') return json;
  const time = typeof entry['time'] === 'number' ? new Date(entry['time']) : new Date();
  const when = time.toISOString().replace('T', ' ').replace('Z', '');
  const level =
    typeof entry['level'] === 'number' ? (LEVEL_LABELS[entry['level']] ?? `L${entry['level']}`) : '';
  const message = typeof entry['msg'] === 'string' ? escapeControls(entry['msg']) : '';
  const fields = Object.entries(entry)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${fieldText(value)}`);
  return [when, level.padEnd(5), message, ...fields].filter((part) => part !== '').join(' ');
}

function fieldText(value: unknown): string {
  const text =
    typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : (JSON.stringify(value) ?? String(value));
  return escapeControls(text);
}

/**
 * Mail puts sender-chosen text in log lines (subjects, addresses): a newline would forge a line
 * and an escape sequence would drive the operator's terminal, so control characters (C0, DEL,
 * C1) are shown as \u escapes.
 */
function escapeControls(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A pino destination that writes each JSON line to `out` as a human line. */
export function humanDestination(out: NodeJS.WritableStream): { write(chunk: string): boolean } {
  let pending = '';
  return {
    write(chunk: string) {
      pending += chunk;
      let end = pending.indexOf('\n');
      while (end !== -1) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 1);
        if (line.trim() !== '') out.write(`${formatHumanLine(line)}\n`);
        end = pending.indexOf('\n');
      }
      return true;
    },
  };
}
