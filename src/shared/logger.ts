/**
 * Structured logs (pino). Every string that reaches a log line passes through the API key
 * redaction, whoever wrote the line.
 */
import pino, { type Logger } from 'pino';
import { redactApiKey } from './redact.ts';

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

export function createLogger(options: {
  level: string;
  name?: string;
  destination?: NodeJS.WritableStream;
}): Logger {
  return pino(
    {
      level: options.level,
      base: { name: options.name ?? 'hostmasterd', pid: process.pid },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => scrub(a)) as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? process.stdout,
  );
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export type { Logger };
