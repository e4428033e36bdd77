import type {
  CounterData as CounterDataMessage,
  CounterData__Output,
} from '../../p4rt/generated/p4/v1/CounterData.ts';
import type { CounterData } from '../dataplane/api.ts';
import { invalidArgument } from './p4runtime-error.ts';

/** Counter values to write; unset counts are 0, negative ones are refused. */
export function decodeCounterData(data: CounterData__Output): CounterData {
  const packets = BigInt(data.packetCount ?? '0');
  const bytes = BigInt(data.byteCount ?? '0');
  if (packets < 0n || bytes < 0n) throw invalidArgument('counter values cannot be negative');
  return { packets, bytes };
}

/** Counter values as a message; zero counts are left unset, as protobuf encoders do. */
export function encodeCounterData(data: CounterData): CounterDataMessage {
  return {
    ...(data.packets !== 0n ? { packetCount: data.packets.toString() } : {}),
    ...(data.bytes !== 0n ? { byteCount: data.bytes.toString() } : {}),
  };
}

/** An Index message; index 0 is left unset inside it, as protobuf encoders do. */
export function encodeIndex(index: number): { index?: string } {
  return index === 0 ? {} : { index: index.toString() };
}
