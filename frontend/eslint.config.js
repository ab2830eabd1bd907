// Lint rules for the web app, including the architecture rule: a feature never imports another feature.
import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import reactRefresh from 'eslint-plugin-react-refresh'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export const FEATURES = ['auth', 'mail', 'compose', 'agent', 'scheduled', 'settings', 'admin']

// One block per feature: inside src/features/<name>, importing any other feature (by alias or by a relative
// path that climbs out of the feature) is an error. Shared code belongs in src/components, src/lib or src/api.
const noCrossFeatureImports = FEATURES.map((feature) => ({
  files: [`src/features/${feature}/**/*.{ts,tsx}`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: ['@/features/*', `!@/features/${feature}`, `!@/features/${feature}/**`],
            message: `A feature may not import another feature (${feature}). Move shared code to src/components, src/lib or src/api.`,
          },
          {
            group: ['../../../*', '../../../../*'],
            message: 'Do not climb out of a feature with a relative import; use the @/ alias for shared code.',
          },
          {
            group: ['@/app/*', '@/app/**'],
            message: 'Features do not import the app shell; the app composes features.',
          },
        ],
      },
    ],
  },
}))

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'src/api/schema.d.ts', 'e2e/screenshots', 'e2e/.run'] },
  {
    files: ['**/*.{ts,tsx}'],
    extends: [js.configs.recommended, ...tseslint.configs.strict],
    languageOptions: { ecmaVersion: 2022, globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks, 'react-refresh': reactRefresh },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'react-refresh/only-export-components': ['warn', { allowConstantExport: true }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['e2e/**/*.ts', 'scripts/**/*.mjs', 'bench/**/*.mjs', '*.config.{ts,js}'],
    languageOptions: { globals: { ...globals.node } },
    rules: { 'no-console': 'off', 'react-hooks/rules-of-hooks': 'off' },
  },
  {
    files: ['scripts/**/*.mjs', 'bench/**/*.mjs', 'eslint.config.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { ...globals.node } },
  },
  ...noCrossFeatureImports,
)
