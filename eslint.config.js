// @ts-check
// One lint tool: typescript-eslint with type information. Formatting is Prettier's job (npm run format);
// this config only carries rules about behaviour.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'provider/bindings/**', 'examples/**/.gen/**', 'examples/**/cdktf.out/**', '**/*.d.ts'],
  },
  {
    files: ['server/**/*.ts', 'provider/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts', 'ui/**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: {
      // The dashboard (ui/) is browser code: its own project, with the DOM's types.
      parserOptions: { project: ['./tsconfig.test.json', './ui/tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise nobody awaits loses its error: await it, return it, or mark it `void` on purpose.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      // A switch over a union must name every member (or have a default): new roles and codes cannot slip through.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-constant-condition': ['error', { checkLoops: false }],
      'no-debugger': 'error',
      'no-dupe-keys': 'error',
      'no-duplicate-case': 'error',
      'no-unreachable': 'error',
      'no-fallthrough': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
);
