// Prints, as one JSON object, the JSON Schemas Backstage publishes for Software Templates and
// Resource entities, keyed by their $id. The packages' exports maps block require() of these
// files, so they are loaded by path.
const path = require('node:path');

const packages = path.join(__dirname, 'node_modules', '@backstage');
const schemaFiles = [
  'plugin-scaffolder-common/dist/Template.v1beta3.schema.json.cjs.js',
  'catalog-model/dist/schema/Entity.schema.json.cjs.js',
  'catalog-model/dist/schema/EntityMeta.schema.json.cjs.js',
  'catalog-model/dist/schema/shared/common.schema.json.cjs.js',
  'catalog-model/dist/schema/kinds/Resource.v1alpha1.schema.json.cjs.js',
];

const schemas = {};
for (const file of schemaFiles) {
  const schema = require(path.join(packages, file)).default;
  schemas[schema.$id] = schema;
}
process.stdout.write(JSON.stringify(schemas));
