import { z } from 'zod';
import { defineCommand } from '../command.ts';

export const switchCommand = defineCommand({
  name: 'switch',
  summary: 'Run the embedded P4Runtime software switch',
  options: {},
  schema: z.object({}).strict(),
  async run() {
    console.error('talaria switch: not built yet (issue 4)');
    return 1;
  },
});
