// Types of scripts/daemon-node-flags.mjs (plain JavaScript: npm start imports it before anything is built).
/** Node flags `npm start` runs the daemon with. */
export declare const DAEMON_NODE_FLAGS: readonly string[];
/** glibc's malloc settings (GLIBC_TUNABLES) `npm start` runs the daemon with. */
export declare const DAEMON_MALLOC_TUNABLES: string;
/** The daemon's environment: `env` with our malloc settings, unless it names its own. */
export declare function daemonEnvironment<T extends Record<string, string | undefined>>(
  env: T,
): T & { GLIBC_TUNABLES?: string };
