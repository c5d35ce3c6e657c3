// Worker threads do not inherit the parent's `--import tsx` hooks on Node 20: register tsx in
// this thread, then load the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./load-worker.ts');
