/**
 * A reading as it crosses between threads. The API keys of a parse are kept on non-enumerable
 * properties (so that no JSON or stored row carries them by accident), and a structured clone
 * copies enumerable properties only: they travel beside the reading and are put back on arrival.
 */
import type { ApiKey } from '../templates/index.ts';
import type { MessageReading } from './read-message.ts';

export interface WireReading {
  readonly reading: MessageReading;
  /** The message's key, then each template's (by position). */
  readonly keys: { readonly message?: ApiKey; readonly templates: readonly (ApiKey | undefined)[] };
}

export function toWire(reading: MessageReading): WireReading {
  if (!reading.ok || !reading.parsed.ok) return { reading, keys: { templates: [] } };
  const { parsed } = reading;
  const message = parsed.apiKey;
  return {
    reading,
    keys: { ...(message ? { message } : {}), templates: parsed.templates.map((t) => t.apiKey) },
  };
}

export function fromWire({ reading, keys }: WireReading): MessageReading {
  if (!reading.ok || !reading.parsed.ok) return reading;
  const hidden = (target: object, key: ApiKey | undefined) => {
    if (key) Object.defineProperty(target, 'apiKey', { value: key, enumerable: false });
  };
  hidden(reading.parsed, keys.message);
  reading.parsed.templates.forEach((t, i) => {
    hidden(t, keys.templates[i]);
  });
  return reading;
}
