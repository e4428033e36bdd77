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

export function encodeCounterData(data: CounterData): CounterDataMessage {
  return { packetCount: data.packets.toString(), byteCount: data.bytes.toString() };
}
