import { openDatabase } from '../db/index.ts';
import type { CommandDeps } from './types.ts';

export async function migrateCommand(_args: string[], deps: CommandDeps): Promise<number> {
  const handle = await openDatabase(deps.config.database);
  await handle.close();
  deps.stdout.write(`database schema is up to date (${handle.kind})\n`);
  return 0;
}
