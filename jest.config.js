// Jest runs TypeScript as native ESM (@kubernetes/client-node is ESM-only),
// so `npm test` starts node with --experimental-vm-modules.
//
// Projects so that a run only pays for what it touches, and each name says
// what its tests need (a project's globalSetup runs only when one of its
// tests is selected).
//   unit     pure code and use cases over in-memory fakes: no Redis, no cluster
//   slack    the Slack emulator and the Bolt app against it (real Redis)
//   redis    the Redis layer against a real Redis (test/support/redis.ts finds or starts one), and its own
//            Redis Cluster and Sentinel (ports 7000-7099)
//   sandbox  `npm start`'s local sandbox end to end in Chromium (playwright-core), and its guards
//   cluster  real kube-apiserver + kube-controller-manager + etcd, real Redis; the e2e failover and
//            crash suites start their own Cluster/Sentinel (failover 7020-7034, crash 7100-7199)
const tsTransform = {
  '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
};
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    // Workspace packages (packages/*) are TypeScript sources: load them through the same transform.
    '^@csrbot/slack-emulator$': '<rootDir>/packages/slack-emulator/src/index.ts',
    '^@csrbot/control-plane$': '<rootDir>/packages/control-plane/src/index.ts',
    '^@csrbot/sandbox$': '<rootDir>/packages/sandbox/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: tsTransform,
};

/** @type {import('jest').Config} */
export default {
  testTimeout: 30_000,
  // Jest's default on 2 cores is 1 worker. Most of the integration time is
  // waiting (a 30 s API outage, a signer, a restarted bot), so two workers
  // overlap it: about 2 minutes instead of 3.5 on this machine. Tests never
  // share names, Redis prefixes or a stopped API server (the outage test has
  // its own control plane).
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'slack', testMatch: ['<rootDir>/test/slack/**/*.test.ts'] },
    { ...common, displayName: 'redis', testMatch: ['<rootDir>/test/redis/**/*.test.ts'] },
    // The local sandbox as `npm start` opens it (its own control plane: the binaries come from the cluster cache), in Chromium.
    {
      ...common,
      displayName: 'sandbox',
      testMatch: ['<rootDir>/test/sandbox/**/*.test.ts'],
      globalSetup: '<rootDir>/test/sandbox/global-setup.ts',
    },
    {
      ...common,
      displayName: 'cluster',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/packages/control-plane/src/jest-global-setup.ts',
      globalTeardown: '<rootDir>/packages/control-plane/src/jest-global-teardown.ts',
    },
  ],
};
