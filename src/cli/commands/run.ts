import { z } from 'zod';
import { defineCommand } from '../command.ts';

export const runCommand = defineCommand({
  name: 'run',
  summary: 'Run the controller against a Kubernetes cluster',
  options: {},
  schema: z.object({}).strict(),
  async run() {
    console.error('talaria run: not built yet (issue 6)');
    return 1;
  },
});
