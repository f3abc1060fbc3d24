/**
 * The shapes of registry identifiers and names, in one place: the template parser checks what
 * senders wrote against them, the registry checks what it stores. Upper-case forms: callers
 * normalise case first.
 */
export const POC_HANDLE = /^[A-Z]{1,20}\d{1,10}-ARIN$/;
export const ORG_HANDLE = /^[A-Z0-9]{1,40}(?:-[A-Z0-9]{1,40})*-\d{1,10}$/;
export const NET_HANDLE = /^NET6?-[0-9A-F]{1,4}(?:-[0-9A-F]{1,4}){1,16}$/;
export const CUSTOMER_HANDLE = /^C\d{8}$/;
export const HOSTNAME =
  /^(?=.{1,253}\.?$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}\.?$/;
export const REFERRAL_SERVER = /^rwhois:\/\/[A-Za-z0-9.-]{1,253}(?::\d{1,5})?\/?$/i;
