/**
 * auth: who is asking (an API key, or a verified sender address -> an account) and whether they
 * may touch a resource. Errors: E_MULTIPLE_API_KEYS, E_INVALID_API_KEY, E_API_KEY_REQUIRED,
 * E_SENDER_NOT_VERIFIED, E_UNKNOWN_SENDER and E_AMBIGUOUS_SENDER (these two only to a sender who
 * proved the address is theirs: an unverified one hears E_SENDER_NOT_VERIFIED whatever accounts
 * the address has, and staff read the difference in `forStaff`), E_REPLAYED_SIGNATURE (a DKIM
 * signature an earlier message already used: the worker finds it, this room words it),
 * E_NOT_ADDRESSED_TO_US (a DKIM-signed message whose signed To/Cc name none of our addresses:
 * written to someone else, sent on to us; signed-recipients.ts), E_NOT_AUTHORIZED,
 * E_OBJECT_NOT_FOUND (the registry's code for the same thing).
 */
export { apiKeyHint } from './api-key-hint.ts';
export {
  DELEGATION_GRANTS,
  delegationAuthority,
  delegationVerdict,
  mayCreateOrg,
  mayCreatePoc,
  mayManageNet,
  mayManageOrg,
  mayManagePoc,
  mayReassignFrom,
  mayRemoveNet,
  mayRemoveOrg,
  mayRenameNet,
} from './authority.ts';
export { createSystemResolver, type DnsResolver, type SystemResolverOptions } from './dns-resolver.ts';
export { createSharedResolver, type SharedResolverOptions } from './dns-sharing.ts';
export { domainsAlign } from './domain-alignment.ts';
export {
  actorOf,
  type EarlierUse,
  forSender,
  type Identified,
  type IdentifyInput,
  identifyRequester,
  identifyTakingNumbers,
  type Requester,
  replayedSignature,
  type StaffNotedProblem,
  staffNoteOf,
} from './requester.ts';
export {
  AUTH_RESULTS,
  type AuthResult,
  SENDER_NOT_CHECKED,
  type SenderVerdict,
  signatureIdentity,
  type VerifySenderOptions,
  verifySender,
} from './sender-verdict.ts';
export { addressedToUs, signedRecipients } from './signed-recipients.ts';
