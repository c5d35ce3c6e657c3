export * from './error-codes.ts';
export * from './close-codes.ts';
export * from './scopes.ts';
export * from './frames.ts';
export * from './field-bounds.ts';
export * from './parse-client-frame.ts';
export * from './server-frame.ts';
