import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'var/', 'demo/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The admin page's client: plain browser JavaScript, no build step. No alert(): errors show inline.
    files: ['src/web/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        ['document', 'window', 'fetch', 'location', 'history', 'EventSource', 'URLSearchParams', 'Node', 'setTimeout'].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
);
