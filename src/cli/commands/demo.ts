import { z } from 'zod';
import { defineCommand } from '../command.ts';

export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'Run controller, embedded switch and a sample cluster in one process',
  options: {},
  schema: z.object({}).strict(),
  async run() {
    console.error('talaria demo: not built yet (issue 6)');
    return 1;
  },
});
