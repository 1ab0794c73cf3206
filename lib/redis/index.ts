export { RedisCallStore } from './redis-call-store';
export type { RedisCallStoreOptions } from './redis-call-store';
export type { RedisClient } from './redis-connections';
