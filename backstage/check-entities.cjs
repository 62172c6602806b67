// Reads a JSON array of entities on stdin and runs Backstage's own field-format rules on each
// (entity name, namespace, kind, apiVersion, label and annotation keys and values, tags).
// Prints a JSON array with, per entity, null when valid or the error message.
const { FieldFormatEntityPolicy } = require('@backstage/catalog-model');

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const policy = new FieldFormatEntityPolicy();
  const results = [];
  for (const entity of JSON.parse(input)) {
    try {
      await policy.enforce(entity);
      results.push(null);
    } catch (error) {
      results.push(String(error.message));
    }
  }
  process.stdout.write(JSON.stringify(results));
}

main();
