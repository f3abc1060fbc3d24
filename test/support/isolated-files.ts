/**
 * The test files that run in a worker process of their own, loading every module afresh; all
 * others share worker processes, which go on from one file to the next with the modules they
 * loaded (vitest's isolate: false, vitest.config.ts). A file belongs here if what it does would
 * reach the files after it in the same process:
 * - it mocks a module (vi.mock, vi.doMock): the mock would stay in the shared module graph;
 * - it changes process-wide state it does not put back (vi.stubEnv/stubGlobal without
 *   unstubbing, process.env, a spy or fake clock not restored, a listener left on `process`);
 * - it depends on a module's state being fresh (a counter or cache at module level it asserts on).
 * Servers, child processes and databases a file starts are not a reason: each file stops its own,
 * and test/support/file-teardown.ts kills any process a failed one leaves behind.
 */
export const ISOLATED_FILES: readonly string[] = [
  // vi.mock of src/replies/mime.ts and nodemailer/lib/mail-composer, to record and count renders.
  'test/replies/mime.test.ts',
];
