// Types of scripts/build.mjs (plain JavaScript: it runs before anything is compiled).
export declare const root: string;
export declare const DIST: string;
export declare function sourcesSignature(): string;
export declare function isStale(): boolean;
/** Builds dist/ when stale; undefined when dist/ is current, else why it could not be built. */
export declare function ensureBuilt(options?: { quiet?: boolean }): string | undefined;
/** The folder of dist/ holding the bundled CLI (lint and submit run it). */
export declare const BUNDLE_DIR: string;
/** A copy of dist/ (hard links) this process runs from while it lives; undefined when none could be made. */
export declare function pinBuild(): string | undefined;
