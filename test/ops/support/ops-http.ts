/**
 * Reading the operations endpoints the way Prometheus and an orchestrator do: plain HTTP GETs
 * on loopback, the metrics parsed from the text exposition format.
 */

export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export async function get(port: number, path: string): Promise<HttpAnswer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { redirect: 'manual' });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: await response.text(),
  };
}

export async function getJson(port: number, path: string): Promise<{ status: number; json: unknown }> {
  const answer = await get(port, path);
  return { status: answer.status, json: JSON.parse(answer.body) };
}

/** One sample of the exposition: `name{a="1",b="2"} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[pair[1]!] = pair[2]!;
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

export class Metrics {
  constructor(readonly samples: readonly Sample[]) {}

  static async scrape(port: number): Promise<Metrics> {
    const answer = await get(port, '/metrics');
    if (answer.status !== 200) throw new Error(`/metrics answered ${answer.status}: ${answer.body}`);
    return new Metrics(parseExposition(answer.body));
  }

  /** The sum of every sample of `name` whose labels include `labels` (0 when there is none). */
  value(name: string, labels: Readonly<Record<string, string>> = {}): number {
    return this.matching(name, labels).reduce((sum, s) => sum + s.value, 0);
  }

  has(name: string, labels: Readonly<Record<string, string>> = {}): boolean {
    return this.matching(name, labels).length > 0;
  }

  private matching(name: string, labels: Readonly<Record<string, string>>): Sample[] {
    return this.samples.filter(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
  }
}

/** Polls until `check` passes (returns without throwing) or the time is up (then throws its last error). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}
