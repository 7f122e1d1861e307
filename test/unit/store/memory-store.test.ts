// The in-memory store against the shared conformance suite.

import { MemoryStore } from '../../../src/store/memory-store.js';
import { runStoreConformance } from './store-conformance.js';

runStoreConformance('memory', () => {
  const store = new MemoryStore();
  return { store, cleanup: () => store.close() };
});
