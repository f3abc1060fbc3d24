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
  const message = typeof entry['msg'] === 'string' ? entry['msg'] : '';
  const fields = Object.entries(entry)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${fieldText(value)}`);
  return [when, level.padEnd(5), message, ...fields].filter((part) => part !== '').join(' ');
}

function fieldText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value) ?? String(value);
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
