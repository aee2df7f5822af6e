/**
 * The active-session index moved to orchestrator-refs.ts with the App's other hidden refs; these
 * names stay for the modules that import them from here.
 */
export { activeRefName, listActiveSessionIds } from "./orchestrator-refs.js";
