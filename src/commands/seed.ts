/**
 * `hostmasterd seed FILE.json`: load orgs, POCs, nets, customers, accounts and API keys from a
 * seed file (docs/seed-format.md) in one transaction. Loading the same file again changes nothing.
 * Exit codes: 0 loaded, 65 the file is unreadable or wrong (each problem named by its JSON path),
 * 64 usage, 1 anything else (e.g. the database cannot be opened).
 */
import fs from 'node:fs';
import { parseSeed, type SeedSummary } from '../registry/index.ts';
import { formatProblem, ProblemError } from '../shared/index.ts';
import { onDatabase } from './database-channel.ts';
import type { CommandDeps } from './types.ts';

export const EX_USAGE = 64;
export const EX_DATAERR = 65;

export async function seedCommand(args: string[], deps: CommandDeps): Promise<number> {
  const [file, ...extra] = args;
  if (!file || extra.length > 0) {
    deps.stderr.write('Usage: hostmasterd seed FILE.json\n');
    return EX_USAGE;
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    deps.stderr.write(`hostmasterd seed: cannot read ${file}: ${(error as Error).message}\n`);
    return EX_DATAERR;
  }
  const doc = parseSeed(text);
  if (!doc.ok) {
    for (const p of doc.error) deps.stderr.write(`hostmasterd seed: ${file}: ${p.message}\n`);
    deps.stderr.write(`hostmasterd seed: ${file}: nothing was loaded (${doc.error.length} problem(s))\n`);
    return EX_DATAERR;
  }
  return loadSeed(JSON.parse(text), file, deps, 'seed');
}

/**
 * Loads a seed file's JSON value into the configured database (a running daemon's, when it owns
 * the embedded one), prints what changed.
 */
export async function loadSeed(
  file: unknown,
  label: string,
  deps: CommandDeps,
  command: string,
): Promise<number> {
  try {
    const { result, where } = await onDatabase(deps.config, 'seed', { file });
    if (!result.ok) {
      deps.stderr.write(`hostmasterd ${command}: ${label}: ${result.error.message}\n`);
      deps.stderr.write(`hostmasterd ${command}: ${label}: nothing was loaded\n`);
      return EX_DATAERR;
    }
    deps.stdout.write(`Loaded ${label} into ${where}:\n`);
    deps.stdout.write(summaryLines(result.value).join('\n') + '\n');
    return 0;
  } catch (error) {
    const message = error instanceof ProblemError ? formatProblem(error.problem) : (error as Error).message;
    deps.stderr.write(`hostmasterd ${command}: ${message}\n`);
    return 1;
  }
}

const KIND_NAMES: Record<keyof SeedSummary, string> = {
  pocs: 'POCs',
  orgs: 'orgs',
  customers: 'customers',
  nets: 'nets',
  accounts: 'accounts',
  apiKeys: 'API keys',
};

/** `  nets: 2 created, 0 modified, 1 unchanged` for each kind the document mentions. */
export function summaryLines(summary: SeedSummary): string[] {
  return (Object.keys(KIND_NAMES) as (keyof SeedSummary)[])
    .filter((kind) => summary[kind].created + summary[kind].modified + summary[kind].unchanged > 0)
    .map((kind) => {
      const c = summary[kind];
      return `  ${KIND_NAMES[kind]}: ${c.created} created, ${c.modified} modified, ${c.unchanged} unchanged`;
    });
}
