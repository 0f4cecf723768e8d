import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.cluster/', '.cache/', 'coverage/', 'packages/control-plane/go/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The sandbox page runs in the browser, as plain JS served as is.
    files: ['packages/sandbox/page/**/*.js'],
    languageOptions: {
      globals: {
        document: 'readonly',
        window: 'readonly',
        localStorage: 'readonly',
        location: 'readonly',
        history: 'readonly',
        fetch: 'readonly',
        EventSource: 'readonly',
        Node: 'readonly',
        encodeURIComponent: 'readonly',
      },
    },
  },
  {
    // domain/ is the pure core: it must not reach for SDKs or I/O.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@slack/*', '@kubernetes/*', 'bullmq', 'ioredis', '../adapters/*', '../../adapters/*'] }],
    },
  },
);
