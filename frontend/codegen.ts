import type { CodegenConfig } from '@graphql-codegen/cli';

// Types come from the server's checked-in SDL, so a schema change that breaks
// a query of the app fails `npm run build`.
const config: CodegenConfig = {
  schema: '../schema/schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*'],
  ignoreNoDocuments: true,
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: {
          DateTime: 'string',
          NaiveDate: 'string',
          GeoJSON: 'any',
          JSON: 'Record<string, unknown>',
          ID: 'string',
          Upload: 'File',
        },
      },
    },
  },
};
export default config;
