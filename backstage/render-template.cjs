// Renders a template fragment (a step's input or the template's output) the way the Backstage
// scaffolder does, so tests can see the exact body the portal receives. Reads
// {"fragment": ..., "context": {...}} on stdin and prints the rendered fragment as JSON.
//
// A stand-in for the scaffolder's renderer (which needs a whole Backstage backend): the same
// nunjucks tags (${{ }}), the same rule that a string holding one expression keeps its JSON type
// and that an empty result drops the key, and the parseEntityRef and pick filters built on
// @backstage/catalog-model and lodash as the scaffolder builds them.
const nunjucks = require('nunjucks');
const { parseEntityRef } = require('@backstage/catalog-model');
const get = require('lodash/get');

const options = { autoescape: false, tags: { variableStart: '${{', variableEnd: '}}' } };
const env = new nunjucks.Environment(null, options);
env.addFilter('parseEntityRef', (ref, context) => parseEntityRef(ref, context));
env.addFilter('pick', (value, key) => get(value, key));

function isSingleExpression(text) {
  const parsed = nunjucks.parser.parse(text, {}, options);
  return parsed.children.length === 1 && !(parsed.children[0] instanceof nunjucks.nodes.TemplateData);
}

function renderString(text, context) {
  try {
    if (isSingleExpression(text)) {
      const dumped = env.renderString(text.replace(/\${{(.+)}}/g, '${{ ( $1 ) | dump }}'), context);
      return dumped === '' ? undefined : JSON.parse(dumped);
    }
  } catch {
    // Like the scaffolder: plain text (parsed as one text node) falls through to a string render.
  }
  const rendered = env.renderString(text, context);
  return rendered === '' ? undefined : rendered;
}

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const { fragment, context } = JSON.parse(input);
  const rendered = JSON.parse(JSON.stringify(fragment), (_key, value) =>
    typeof value === 'string' ? renderString(value, context) : value);
  process.stdout.write(JSON.stringify(rendered === undefined ? null : rendered));
}

main();
