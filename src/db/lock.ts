/**
 * PGlite is one process's database: a second process opening the same directory corrupts it.
 * A lock file holding our pid keeps the second one out with a clear sentence.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isProcessAlive, ProblemError, problem } from '../shared/index.ts';

export function acquireDirectoryLock(dir: string): () => void {
  const lockPath = path.join(dir, '.hostmasterd.lock');
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
      const holder = Number(fs.readFileSync(lockPath, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && isProcessAlive(holder)) {
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
