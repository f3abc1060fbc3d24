/**
 * Structured logs (pino). Every string that reaches a log line passes through the API key and
 * validation token redaction, whoever wrote the line.
 */
import type { Logger } from 'pino';
import { lazyPackage } from './lazy-package.ts';

/** Loaded when a logger is made: `lint` and `submit` make none. */
const pino = lazyPackage<typeof import('pino')>('pino');

import { humanDestination } from './human-log.ts';
import { redactApiKey as redactKeysOnly } from './redact.ts';
import { redactValidationTokens } from './validation-token.ts';

/** Both secrets a line could carry: API keys, and the one-time tokens of validation mails. */
function redactApiKey(text: string): string {
  return redactValidationTokens(redactKeysOnly(text));
}

/** Deeper than this, an object is written as its scrubbed JSON text (a bound on the walk, not on the scrubbing). */
const MAX_DEPTH = 4;

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactApiKey(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { type: value.name, message: redactApiKey(value.message) };
  if (depth > MAX_DEPTH) return redactApiKey(jsonText(value));
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[redactApiKey(key)] = scrub(inner, depth + 1);
  return out;
}

function jsonText(value: object): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '[unserialisable]';
  }
}

/**
 * Keys every line already has (pino's own and our base). pino does not merge a field of the same
 * name, it writes the key twice, and JSON readers keep one at random: such a field is renamed
 * `pid_`, `name_`...
 */
const LINE_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name']);

function withoutLineKeys(fields: unknown): unknown {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) return fields;
  if (!Object.keys(fields).some((key) => LINE_KEYS.has(key))) return fields;
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [LINE_KEYS.has(key) ? `${key}_` : key, value]),
  );
}

export function createLogger(options: {
  level: string;
  name?: string;
  destination?: NodeJS.WritableStream;
  /** Human lines (time, level label, message, fields) instead of JSON: for a person at a terminal. */
  human?: boolean;
}): Logger {
  const out = options.destination ?? process.stdout;
  return pino().pino(
    {
      level: options.level,
      base: { name: options.name ?? 'hostmasterd', pid: process.pid },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => scrub(a));
          if (scrubbed.length > 1 || typeof scrubbed[0] === 'object') {
            scrubbed[0] = withoutLineKeys(scrubbed[0]);
          }
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    options.human ? humanDestination(out) : out,
  );
}

export function silentLogger(): Logger {
  return pino().pino({ level: 'silent' });
}

export type { Logger };
