/** What a command run in the test's own process writes, caught as text. */
import { PassThrough } from 'node:stream';

export interface CommandOutput {
  readonly stdout: PassThrough;
  readonly stderr: PassThrough;
  /** Everything written so far, decoded as UTF-8. */
  written(): { readonly stdout: string; readonly stderr: string };
}

export function commandOutput(): CommandOutput {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return {
    stdout,
    stderr,
    written: () => ({
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
    }),
  };
}
