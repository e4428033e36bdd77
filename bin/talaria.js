#!/usr/bin/env node
// Entry point of the `talaria` command. The TypeScript sources run through tsx's
// loader, so a fresh clone needs `npm ci` and no separate build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
