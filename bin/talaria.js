#!/usr/bin/env node
// Entry point of the `talaria` command in a clone of the repository: the TypeScript
// sources run through tsx's loader, so `npm ci` is the only step before `npx talaria`.
// Images run the compiled program instead (`npm run build`: node dist/cli/talaria.js).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/talaria.ts');
