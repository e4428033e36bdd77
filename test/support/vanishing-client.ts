// A P4Runtime client that claims primary and then waits to be killed, for tests of a client
// that vanishes mid-stream (its TCP connection is reset by the kernel, not closed by gRPC).
// Usage: node --import tsx test/support/vanishing-client.ts ADDRESS DEVICE_ID ELECTION_ID
// Prints the status code of its first arbitration update ("OK" when primary), then idles.
import { P4RuntimeDriver } from './p4runtime-driver.ts';

const [address, deviceId, electionId] = process.argv.slice(2);
if (!address || !deviceId || !electionId) {
  console.error('usage: vanishing-client.ts ADDRESS DEVICE_ID ELECTION_ID');
  process.exit(2);
}
const stream = P4RuntimeDriver.connect(address).openStream();
stream.arbitrate(BigInt(deviceId), BigInt(electionId));
console.log(await stream.nextArbitrationCode(10_000));
setInterval(() => {}, 60_000);
