import { openAfPacketPorts } from './af-packet-ports.ts';
import { MemoryPort } from './memory-port.ts';
import type { Port } from './port.ts';
import type { PortSpec } from './port-spec.ts';

/** Opens the ports of a switch: memory ports at once, interfaces through one AF_PACKET relay. */
export async function openPorts(
  specs: readonly PortSpec[],
  onFailure: (error: Error) => void,
): Promise<Port[]> {
  const memory = specs.filter((s) => s.kind === 'memory').map((s) => new MemoryPort(s.number));
  const interfaces = await openAfPacketPorts(
    specs.flatMap((s) =>
      s.kind === 'interface' ? [{ number: s.number, interfaceName: s.interfaceName }] : [],
    ),
    onFailure,
  );
  return [...memory, ...interfaces].sort((a, b) => a.number - b.number);
}
