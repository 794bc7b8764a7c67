// Outlives a lab owner process: waits until the owner is gone, then removes its namespaces and temp dirs.
// Started detached by netns.ts with the owner's pid; the owner holds the only writer of our stdin.
import { reapOwners } from './netns.js';

const owner = Number(process.argv[2]);
if (!Number.isInteger(owner) || owner <= 1) {
  process.stderr.write('usage: janitor.js OWNER-PID\n');
  process.exit(2);
}
process.stdin.on('error', () => {});
process.stdin.on('close', () => reapOwners((pid) => pid === owner));
process.stdin.resume();
