import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/base/logger.ts';

function capture(options: { level?: 'debug' | 'info' | 'warn' | 'error'; trace?: string } = {}) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('talaria', {
    trace: '',
    ...options,
    output: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { logger, lines };
}

describe('the logger (pino)', () => {
  it('writes one JSON object per event: level, ISO time, module, message, fields', () => {
    const { logger, lines } = capture();
    logger.child('reconcile').warn('update refused', { switch: 'tor1', count: 2 });
    expect(lines).toEqual([
      {
        level: 'warn',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        module: 'reconcile',
        msg: 'update refused',
        switch: 'tor1',
        count: 2,
      },
    ]);
  });

  it('writes an Error as its message and a bigint as its digits', () => {
    const { logger, lines } = capture();
    logger.error('failed', { error: new Error('no route'), electionId: 2n ** 70n });
    expect(lines[0]).toMatchObject({ error: 'no route', electionId: String(2n ** 70n) });
  });

  it('drops lines below the level; debug only for the modules TALARIA_TRACE names', () => {
    const { logger, lines } = capture({ level: 'warn', trace: 'p4rt' });
    logger.info('not written');
    logger.debug('not traced');
    logger.child('p4rt').debug('traced');
    logger.child('p4rt').info('traced module: every level');
    expect(lines.map((l) => l.msg)).toEqual(['traced', 'traced module: every level']);
    const all = capture({ trace: 'all' });
    all.logger.child('informer').debug('seen');
    expect(all.lines.map((l) => l.msg)).toEqual(['seen']);
  });
});
