/**
 * Parse results hold bigints (IP ranges), which JSON.stringify refuses. For storing a parse
 * result (the `templates` table) or logging it: ranges become `{ version, start, end, text }`
 * with decimal strings and the human form (`198.51.100.0/28`). The API key is never included
 * (it is not enumerable on ParsedTemplate). Reprocessing re-parses the raw message instead of
 * reviving this.
 */
import { formatRange, type IpRange } from '../ip/index.ts';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

function isRange(value: object): value is IpRange {
  return (
    'version' in value && 'start' in value && 'end' in value && typeof (value as IpRange).start === 'bigint'
  );
}

export function toJsonValue(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (typeof value === 'object') {
    if (isRange(value)) {
      return {
        version: value.version,
        start: value.start.toString(),
        end: value.end.toString(),
        text: formatRange(value),
      };
    }
    const out: { [key: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJsonValue(v);
    return out;
  }
  return null;
}
