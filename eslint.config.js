// ESLint flat config for the whole monorepo: `npm run lint` (part of `npm test`).
// typescript-eslint's `recommended` set only, without type information: type-aware rules would make ESLint build
// every project's program, and `npm run typecheck` already does the type checking.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // Build output, generated and downloaded files: not ours to lint.
    ignores: [
      '**/node_modules/',
      '**/dist/',
      'node-server/public/',
      '**/bench-results/',
      '**/test-results/',
      '**/playwright-report/',
      'e2e/screenshots/',
      '**/.stryker-tmp/',
      '**/reports/',
      'sdk/api-docs/',
      '**/.vitest-attachments/',
      '**/data/',
      '**/*.tmp.*',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // The codebase drops a property on purpose with `const { secret: _secret, ...rest } = x` and keeps unused
      // parameters whose position matters as `_name`, the same convention tsc's noUnusedParameters accepts.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // The protocol validates and escapes control characters on purpose (names, canonical JSON, records); the
      // rule exists for control characters slipped into a regex by accident, which an explicit \x00 never is.
      'no-control-regex': 'off',
    },
  },
  {
    // Plain Node scripts (not type-checked): Node's globals.
    files: ['**/*.mjs'],
    languageOptions: { globals: { Buffer: 'readonly', URL: 'readonly', process: 'readonly', console: 'readonly' } },
  },
);
