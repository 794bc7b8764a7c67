// @ts-check
// ESLint flat config: typescript-eslint's recommended type-checked rules for
// everything TypeScript in src/, test/, bench/ and scripts/.
//
// Type information comes from the `typescript` package, which is TypeScript 6
// (npm alias of @typescript/typescript6): typescript-eslint needs the JS
// compiler API, which TypeScript 7 no longer ships. The project itself is
// compiled and type-checked by TypeScript 7, installed as `@typescript/native`
// (see the build and typecheck scripts in package.json). Both read the same
// tsconfig.json.

import eslint from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'bench/results/', 'coverage/']),

  {
    name: 'smcroute/typescript',
    files: ['{src,test,bench,scripts}/**/*.ts'],
    extends: [eslint.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }],
        },
      ],
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
  },

  // Plain JavaScript (this file, future scripts/*.js|mjs): no type information.
  {
    name: 'smcroute/javascript',
    files: ['*.{js,mjs}', 'scripts/**/*.{js,mjs}'],
    extends: [eslint.configs.recommended],
    languageOptions: {
      globals: globals.node,
    },
  },
);
