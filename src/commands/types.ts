import type { Config } from '../config/index.ts';

/** What every CLI command is handed: configuration and where to write. */
export interface CommandDeps {
  readonly config: Config;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}
