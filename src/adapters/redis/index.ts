export { checkRedisReachable } from './check-redis-reachable.js';
export { createRedisClient, type RedisClient, type RedisRole } from './create-redis-client.js';
export { REQUIRED_POLICY, checkMaxmemoryPolicy, maxmemoryPolicyWarning, type MaxmemoryPolicyReport } from './maxmemory-policy.js';
export { defaultPrefix, describeTopology, hashTagOf, type HostPort, type RedisSettings, type RedisTopology } from './redis-settings.js';
