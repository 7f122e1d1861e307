// Lint: typescript-eslint's recommended rules, plus the layering guard of STYLE.md:
// src/protocol is pure and imports nothing else of ours.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*', '!./*'], message: 'src/protocol is pure: it imports nothing outside itself.' },
            { group: ['node:net', 'node:tls', 'node:fs', 'node:http', 'node:dns', 'pino'], message: 'src/protocol does no I/O.' },
          ],
        },
      ],
    },
  },
);
