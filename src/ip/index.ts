export * from './address.ts';
export { clientKey } from './client-key.ts';
