export * from './address.ts';
export { clientKey, peerAddress } from './client-key.ts';
