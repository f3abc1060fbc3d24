/**
 * PGlite is one process's database: a second process opening the same directory corrupts it.
 * A lock file holding our pid keeps the second one out with a clear sentence. Kept in the shared
 * room, not the database room, so that `submit` can ask whether a daemon holds the embedded
 * database without loading the database room (and drizzle) to find out.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ProblemError, problem } from './errors.ts';
import { isProcessAlive } from './process.ts';

const lockPathIn = (dir: string) => path.join(dir, '.hostmasterd.lock');

/** The live process holding the directory's lock, or undefined when none does (none written, or its writer died). */
export function directoryLockHolder(dir: string): number | undefined {
  let holder: number;
  try {
    holder = Number(fs.readFileSync(lockPathIn(dir), 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isInteger(holder) && holder > 0 && isProcessAlive(holder) ? holder : undefined;
}

export function acquireDirectoryLock(dir: string): () => void {
  const lockPath = lockPathIn(dir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      let released = false;
      return () => {
        if (released) return;
        released = true;
        fs.rmSync(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = directoryLockHolder(dir);
      if (holder !== undefined) {
        throw new ProblemError(
          problem(
            'E_DATABASE_LOCKED',
            `the embedded database in ${dir} is in use by process ${holder}; stop it, or use DATABASE_URL to share a PostgreSQL server`,
          ),
        );
      }
      // Left behind by a process that died: take it over.
      fs.rmSync(lockPath, { force: true });
    }
  }
  throw new ProblemError(problem('E_DATABASE_LOCKED', `could not lock ${dir}`));
}
