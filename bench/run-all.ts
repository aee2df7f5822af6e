import { benchmarks } from "./benchmarks.js";
import { formatTable } from "./format-table.js";

/**
 * `npm run bench` runs every benchmark; `npm run bench -- schedule timings` runs the named ones.
 * Results are printed, never asserted: numbers depend on the machine (DESIGN §8).
 */
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !benchmarks.some((b) => b.name === name));
if (unknown.length > 0) {
  console.error(
    `unknown benchmark: ${unknown.join(", ")}; known: ${benchmarks.map((b) => b.name).join(", ")}`,
  );
  process.exit(2);
}
const selected = wanted.length > 0 ? benchmarks.filter((b) => wanted.includes(b.name)) : benchmarks;
const started = performance.now();
const cpuStarted = process.cpuUsage();
for (const benchmark of selected) {
  const start = performance.now();
  console.log(`\n## ${benchmark.name}: ${benchmark.description}\n`);
  for (const table of await benchmark.run()) console.log(`${formatTable(table)}\n`);
  console.log(`(${benchmark.name}: ${((performance.now() - start) / 1000).toFixed(1)} s)`);
}
const cpu = process.cpuUsage(cpuStarted);
// CPU time too: on a shared machine the wall time says as much about the neighbours as about us.
console.log(
  `\nAll benchmarks: ${((performance.now() - started) / 1000).toFixed(1)} s wall, ` +
    `${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU, Node ${process.version}.`,
);
