/**
 * The staff console (role `console`): sign-in, the rejection queue, submission pages, staff
 * actions (reprocess, override, edit and apply through the worker; dismiss here), registry
 * look-up, and bull-board under /queues.
 */
export { type ConsoleQueue, consoleQueueFrom, signedStaffJob } from './actions.ts';
export { generateOneTimePassword, MIN_PASSWORD_LENGTH } from './passwords.ts';
export { type ConsoleLogger, type ConsoleOptions, type RunningConsole, startConsole } from './server.ts';
export {
  DEFAULT_SIGN_IN_THROTTLE,
  type SignInBackoff,
  type SignInThrottlePolicy,
} from './sign-in-throttle.ts';
export {
  createStaffUser,
  listStaffAccounts,
  removeStaffAccount,
  type StaffAccount,
  type StaffUser,
} from './staff-accounts.ts';
