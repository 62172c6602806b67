// A minimal real Backstage backend for the real-Backstage check (run_check.py starts it with Node 22):
// auth with the guest provider, the catalog (which loads the template), the scaffolder with Roadie's
// http:backstage:request action, and the proxy that carries the portal token. Configuration:
// ../app-config.example.yaml (what we ship) overlaid by app-config.yaml here.
const { createBackend } = require('@backstage/backend-defaults');

const backend = createBackend();
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'));
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@roadiehq/scaffolder-backend-module-http-request'));
backend.add(import('@backstage/plugin-proxy-backend'));
backend.start();
