/**
 * Polls until `check` passes (returns without throwing), or throws its last error once
 * `timeoutMs` has passed. The timeout only bounds a wait for an event; no test asserts
 * how long the wait took.
 */
export async function eventually(
  check: () => void | Promise<void>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
