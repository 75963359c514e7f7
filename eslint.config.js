// Lint rules for the whole project: typescript-eslint's recommended type-aware
// rules, with the promise rules that matter most in socket code as errors.
// Formatting is Prettier's job (npm run format), not ESLint's.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'site/dist/', 'workspace/', 'test-output/', '.tools/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits hides its rejection: a socket error that should
      // have been one clear line becomes an unhandled rejection.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { disallowTypeAnnotations: false }],
      // A signal handler may read a socket variable that is assigned later.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Socket code matches control characters on purpose, to escape them.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Preloads the checks load into lesson programs run under Node.
    files: ['test/**/*.js'],
    languageOptions: { globals: globals.node },
  },
  {
    // The site's own script runs in the reader's browser.
    files: ['site/assets/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
);
