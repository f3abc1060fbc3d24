// Types of scripts/daemon-node-flags.mjs (plain JavaScript: npm start imports it before anything is built).
/** Node flags `npm start` runs the daemon with. */
export declare const DAEMON_NODE_FLAGS: readonly string[];
