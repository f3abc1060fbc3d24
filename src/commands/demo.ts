/**
 * `hostmasterd demo`: load the fixed demo registry (docs/architecture.md section 6) and print the demo API
 * key and the sender address it is bound to. Running it again changes nothing.
 */
import {
  DEMO_API_KEY,
  DEMO_SEED,
  DEMO_SENDER,
  OTHER_API_KEY,
  OTHER_SENDER,
  validateSeed,
} from '../registry/index.ts';
import { loadSeed } from './seed.ts';
import type { CommandDeps } from './types.ts';

export async function demoCommand(_args: string[], deps: CommandDeps): Promise<number> {
  const doc = validateSeed(DEMO_SEED);
  if (!doc.ok) {
    for (const p of doc.error) deps.stderr.write(`hostmasterd demo: ${p.message}\n`);
    return 1;
  }
  const code = await loadSeed(DEMO_SEED, 'the demo registry', deps, 'demo');
  if (code !== 0) return code;
  deps.stdout.write(
    [
      '',
      'Demo ISP: org DEMOISP-1, POC DEMO1-ARIN, nets 198.51.100.0/24 and 2001:db8::/32',
      `API key: ${DEMO_API_KEY}`,
      `Sender: ${DEMO_SENDER}`,
      '',
      `Second org for authorization tests: OTHERISP-1, POC OTHER1-ARIN, net 203.0.113.0/24,`,
      `its key ${OTHER_API_KEY} and sender ${OTHER_SENDER}`,
      '',
    ].join('\n'),
  );
  return 0;
}
