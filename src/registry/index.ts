/**
 * The registry: its model, its rules, and the operations the worker, the console and the CLI
 * use. Every operation runs inside the caller's transaction, returns a Result (a broken rule is
 * a Problem value, never a throw), and writes an audit row for each change.
 */

export {
  type Account,
  accountPocHandles,
  apiKeyDigest,
  createAccount,
  findAccountByApiKey,
  findAccountByName,
  findAccountsByEmail,
  generateApiKey,
  type IssueApiKeyOptions,
  isApiKey,
  issueApiKey,
  listApiKeys,
  loadAccount,
  type NewAccount,
  revokeApiKey,
} from './accounts.ts';
export { type AuditRow, auditRowsWrite, renderActor, toAuditJson } from './audit.ts';
export type { PlacedReassignment, ReassignmentWrite } from './customer-and-net.ts';
export { DEMO_API_KEY, DEMO_SEED, DEMO_SENDER, OTHER_API_KEY, OTHER_SENDER } from './demo.ts';
export {
  HandleReservations,
  netNumbering,
  type PocNaming,
  reservePocHandles,
} from './handles.ts';
export { type HolderFlags, heldBy, holderFlags } from './holders.ts';
export {
  childrenOfNet,
  customersOfOrg,
  findContainingNets,
  findCustomer,
  findNetByHandle,
  findNetsByRange,
  findOrg,
  findOverlappingNets,
  findParentNet,
  findPoc,
  mostSpecificContaining,
  netPocs,
  netsOfOrg,
  netsOfPoc,
  orgPocs,
  orgsOfPoc,
  RANGE_PLACEHOLDERS,
  type RangeOperands,
  type RangeValues,
  rangeValues,
  searchCustomers,
  searchNets,
  searchOrgs,
  searchPocs,
} from './lookups.ts';
export {
  type MessageNumbers,
  type NumbersWanted,
  numbersWhere,
  takeMessageNumbers,
} from './message-numbers.ts';
export { modifyNet, removeNet } from './net-mod.ts';
export { createOrg, modifyOrg, removeOrg } from './orgs.ts';
export { describeNet, NET_TYPE_WORDS, netRange } from './placement.ts';
export { createPoc, modifyPoc, pocUses, removePoc } from './pocs.ts';
export { customerWhoisLines, type PublicCustomer, publicCustomer } from './presentation.ts';
export { placeableTogether, placeCustomersAndNets } from './reassignments-together.ts';
export { AUDITED_CHANGE_COLUMNS, type AuditedChange, revertChanges } from './revert.ts';
export {
  checkEmails,
  checkHandle,
  type HandleKind,
  netNameFromCustomer,
  normalizeHandle,
  REVIEW_IPV4_SIZE,
  SMALLEST_BLOCK,
} from './rules.ts';
export { type SeedCounts, type SeedSummary, seedRegistry } from './seed.ts';
export { parseSeed, type SeedDocument, type SeedFile, validateSeed } from './seed-document.ts';
export {
  createSimpleReassignment,
  modifySimpleReassignment,
  removeSimpleReassignment,
  simpleReassignmentWrite,
} from './simple-reassignment.ts';
export { reallocate, reassignDetailed } from './subdelegation.ts';
export {
  allocateTicketNumber,
  allocateTicketNumbers,
  closeTicket,
  formatTicketNumber,
  issueTicket,
  issueTickets,
  type NewTicket,
  TICKET_NUMBER,
  ticketByNumber,
  ticketsWrite,
} from './tickets.ts';
export { type TurnsHeld, turnsLiteral, turnsTaken } from './turns.ts';
export { type RequestWithTurn, turnsAhead } from './turns-ahead.ts';
export type * from './types.ts';
