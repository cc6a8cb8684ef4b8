// pool-boot.mjs: a pool.ts worker thread's entry: registers tsx's loader in this thread (a worker does
// not inherit the main thread's --import), then runs pool-worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./pool-worker.ts');
