// thread-worker.ts: the file a pool worker runs under Node and Bun (worker_threads); the worker
// itself is workerMain in threads.ts (Deno and browsers run its source as a blob).
import { workerMain } from './threads.js';

workerMain();
