import type { Reporter, TestModule, TestSuite } from 'vitest/node';

/** The counts of the closing line. */
export interface SummaryCounts {
  passed: number;
  failed: number;
  skipped: number;
  todo: number;
}

/**
 * Counts a run. A failed test is a failure; so is a test that never ran because a hook
 * of its suite (or its file) threw, and a hook or module error with no such test under
 * it (an afterAll that threw, a file that failed to import). Todo is counted apart from
 * skipped, and an error outside any test file counts as a failure, as vitest's exit code
 * does.
 */
export function countRun(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<unknown>,
): SummaryCounts {
  const counts: SummaryCounts = { passed: 0, failed: 0, skipped: 0, todo: 0 };
  // Returns how many tests below `node` a failing hook kept from running.
  const visit = (node: TestModule | TestSuite, hookFailed: boolean): number => {
    const failing = hookFailed || node.errors().length > 0;
    let blocked = 0;
    let blockedBelow = 0;
    for (const child of node.children) {
      if (child.type === 'suite') {
        blockedBelow += visit(child, failing);
        continue;
      }
      const { mode } = child.options;
      const { state } = child.result();
      if (mode === 'todo') counts.todo++;
      else if (state === 'passed') counts.passed++;
      else if (state === 'failed') counts.failed++;
      else if (failing && mode !== 'skip' && child.diagnostic() === undefined) blocked++;
      else counts.skipped++;
    }
    counts.failed += blocked;
    if (blocked + blockedBelow === 0) counts.failed += node.errors().length;
    return blocked + blockedBelow;
  };
  for (const testModule of testModules) visit(testModule, false);
  counts.failed += unhandledErrors.length;
  return counts;
}

/**
 * Prints one plain closing line, `N passed, N failed, N skipped, N todo`, after vitest's
 * own summary, so CI logs state the counts in a form any reader (and CI) can parse.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
  ): void {
    const c = countRun(testModules, unhandledErrors);
    process.stdout.write(
      `\n${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped, ${c.todo} todo\n`,
    );
  }
}
