// The `talaria` program: bin/talaria.js runs it from the sources (through tsx), container
// images run its compiled form, `node dist/cli/talaria.js` (`npm run build`).
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
