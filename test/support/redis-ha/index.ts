export { RedisClusterHarness, type ClusterNodeInfo, type FailoverResult, type StartRedisClusterOptions } from './redis-cluster.js';
export { MASTER_NAME, RedisSentinelHarness, type SentinelFailoverResult, type StartRedisSentinelOptions } from './redis-sentinel.js';
export { requireRedisBinaries, sleep, waitUntil, withNode } from './servers.js';
