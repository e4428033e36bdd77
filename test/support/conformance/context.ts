import { expect } from 'vitest';
import type { Entity, Entity__Output } from '../../../src/p4rt/generated/p4/v1/Entity.ts';
import type { Update } from '../../../src/p4rt/generated/p4/v1/Update.ts';
import type { WriteRequest } from '../../../src/p4rt/generated/p4/v1/WriteRequest.ts';
import {
  failureOfCall,
  type CodeName,
  type P4RuntimeDriver,
  type RpcFailure,
  type StreamSession,
} from '../p4runtime-driver.ts';
import { EntityBuilder } from './entities.ts';
import { P4InfoNames } from './p4info-names.ts';
import type { PipelineFiles } from './pipelines.ts';
import type { ConformanceTarget } from './target.ts';

/**
 * An expected status: what the spec prescribes, and where BMv2 answers otherwise (every such
 * difference is listed in docs/target.md), what BMv2 answers.
 */
export interface Expected {
  readonly spec: CodeName;
  readonly bmv2?: CodeName;
}

export function uint128(value: bigint): { high: string; low: string } {
  return { high: (value >> 64n).toString(), low: (value & 0xffff_ffff_ffff_ffffn).toString() };
}

/** Thrown by CaseContext.skip: the suite reports the case as skipped with the reason. */
export class CaseSkipped extends Error {}

/** What one conformance case works with; streams it opens are closed after the case. */
export class CaseContext {
  readonly build: EntityBuilder;
  private readonly streams: StreamSession[] = [];
  private primaryElectionId: bigint | undefined;

  constructor(
    readonly target: ConformanceTarget,
    readonly driver: P4RuntimeDriver,
    readonly fixture: PipelineFiles,
    /** Election ids grow over the whole run, so a case never collides with an earlier one. */
    private readonly nextElectionId: () => bigint,
  ) {
    this.build = new EntityBuilder(new P4InfoNames(fixture.p4info));
  }

  get deviceId(): bigint {
    return this.target.deviceId;
  }

  newElectionId(): bigint {
    return this.nextElectionId();
  }

  /** Opens a StreamChannel that is cancelled when the case ends. */
  stream(): StreamSession {
    const session = this.driver.openStream();
    this.streams.push(session);
    return session;
  }

  /** The election id of this case's primary, arbitrating first if needed. */
  async primary(): Promise<bigint> {
    if (this.primaryElectionId !== undefined) return this.primaryElectionId;
    const electionId = this.newElectionId();
    const session = this.stream();
    session.arbitrate(this.deviceId, electionId);
    expect(await session.nextArbitrationCode()).toBe('OK');
    this.primaryElectionId = electionId;
    return electionId;
  }

  /** Installs `files` (default: the fixture) with VERIFY_AND_COMMIT: a clean forwarding state. */
  async usePipeline(files: PipelineFiles = this.fixture, cookie?: bigint): Promise<void> {
    await this.driver.setPipeline({
      deviceId: this.deviceId.toString(),
      electionId: uint128(await this.primary()),
      action: 'VERIFY_AND_COMMIT',
      config: {
        p4info: files.p4info as never,
        p4DeviceConfig: files.json,
        ...(cookie !== undefined ? { cookie: { cookie: cookie.toString() } } : {}),
      },
    });
  }

  async writeRequest(request: Omit<WriteRequest, 'deviceId' | 'electionId'>): Promise<unknown> {
    return this.driver.write({
      deviceId: this.deviceId.toString(),
      electionId: uint128(await this.primary()),
      ...request,
    });
  }

  write(...updates: Update[]): Promise<unknown> {
    return this.writeRequest({ updates });
  }

  writeFailure(...updates: Update[]): Promise<RpcFailure> {
    return failureOfCall(this.write(...updates));
  }

  read(...entities: Entity[]): Promise<Entity__Output[]> {
    return this.driver.read({ deviceId: this.deviceId.toString(), entities });
  }

  /** The code this target must answer: the spec's, or BMv2's documented difference. */
  expected(expected: Expected): CodeName {
    return this.target.name === 'bmv2' && expected.bmv2 ? expected.bmv2 : expected.spec;
  }

  /** A failed Write of one update: status UNKNOWN with exactly one p4.v1.Error of the expected code. */
  expectUpdateFailure(failure: RpcFailure, expected: Expected): void {
    expect(failure.code).toBe('UNKNOWN');
    expect(failure.errors?.map((e) => e.code)).toEqual([this.expected(expected)]);
  }

  /** Ends the case as skipped on this target, with the reason. */
  skip(reason: string): never {
    throw new CaseSkipped(reason);
  }

  async close(): Promise<void> {
    for (const session of this.streams) session.cancel();
    await Promise.all(this.streams.map((session) => session.closed));
    // The next case arbitrates once the server has forgotten these streams.
    await this.target.streamsForgotten();
  }
}

/** One conformance case; `run` throws (a failed expect) when the target does not conform. */
export interface ConformanceCase {
  readonly name: string;
  readonly run: (ctx: CaseContext) => Promise<void>;
}
