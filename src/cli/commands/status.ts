import { z } from 'zod';
import { defineCommand } from '../command.ts';

export const statusCommand = defineCommand({
  name: 'status',
  summary: "Show the state of a switch's load-balancer tables",
  options: {},
  schema: z.object({}).strict(),
  async run() {
    console.error('talaria status: not built yet (issue 5)');
    return 1;
  },
});
