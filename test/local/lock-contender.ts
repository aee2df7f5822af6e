/**
 * One contender of the lock race test: takes the run lock again and again, and while it holds
 * it claims a marker file exclusively — a second holder at the same time finds the marker taken.
 * Every `crashEvery`-th hold ends like a crash: the lock is left naming a dead process.
 * Prints `{ entered, overlaps }` as JSON.
 */
import { rm, writeFile } from "node:fs/promises";
import { acquireSessionLock, SessionLockedError } from "../../src/local/session-lock.js";

const [lockPath, markerPath, roundsText, crashEveryText] = process.argv.slice(2);
const DEAD_PID = "2147483646\n";
let entered = 0;
let overlaps = 0;
for (let round = 0; round < Number(roundsText); round++) {
  let lock;
  try {
    lock = await acquireSessionLock(lockPath as string);
  } catch (error) {
    if (error instanceof SessionLockedError) continue;
    throw error;
  }
  entered++;
  let marked = false;
  try {
    await writeFile(markerPath as string, `${process.pid}\n`, { flag: "wx" });
    marked = true;
  } catch {
    overlaps++;
  }
  await new Promise((resolve) => setImmediate(resolve));
  if (marked) await rm(markerPath as string, { force: true });
  if (entered % Number(crashEveryText) === 0) await writeFile(lockPath as string, DEAD_PID);
  else await lock.release();
}
process.stdout.write(JSON.stringify({ entered, overlaps }));
