import type { z } from 'zod';

/**
 * How every zod failure is told to a person: the dotted path of the bad value (or
 * `rootLabel` when the whole input is wrong) and zod's message, e.g. `switches.0.address:
 * Invalid input`. One place, so errors read the same from the CLI, config files, P4Runtime
 * options, BMv2 JSON and agent inputs.
 */
/** One issue of a failed zod parse. */
export type ZodIssue = z.ZodError['issues'][number];

export function issuePath(issue: ZodIssue, rootLabel = '(root)'): string {
  return issue.path.length > 0 ? issue.path.join('.') : rootLabel;
}

export function describeIssue(issue: ZodIssue, rootLabel = '(root)'): string {
  return `${issuePath(issue, rootLabel)}: ${issue.message}`;
}

/** The first issue of a failed parse, described (zod always reports at least one). */
export function describeFirstIssue(error: z.ZodError, rootLabel = '(root)'): string {
  return describeIssue(error.issues[0]!, rootLabel);
}
