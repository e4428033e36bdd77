import { z } from 'zod';
import { defineCommand } from '../command.ts';

export const agentCommand = defineCommand({
  name: 'agent',
  summary: 'Run the host agent (eBPF fast path) on a node',
  options: {},
  schema: z.object({}).strict(),
  async run() {
    console.error('talaria agent: not built yet (issue 7)');
    return 1;
  },
});
