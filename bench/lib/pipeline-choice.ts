export function pipelineChoices(..._a: unknown[]): number[] { throw new Error("todo"); }
