export * from './errors.ts';
export * from './listen.ts';
