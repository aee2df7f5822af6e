import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach } from "vitest";
import {
  startScriptedModelServer,
  type ModelScript,
  type ScriptedModelServer,
} from "../../src/demo/scripted-model-server.js";

/** The real Claude Code CLI, pinned in devDependencies. */
export const claudePath = resolve("node_modules/.bin/claude");

/** A fresh folder per test for the real CLI: its working directory, its HOME, and its model server. */
export interface ClaudeSandbox {
  readonly root: string;
  /** The agent's working directory. */
  readonly cwd: string;
  /** The CLI's HOME, so no user settings or credentials leak in. */
  readonly home: string;
  /** Starts the scripted model server for this test (closed after it). */
  startModel(script: ModelScript): Promise<ScriptedModelServer>;
}

/** Registers the per-test set-up and clean-up; call it at the top of a test file. */
export function useClaudeSandbox(prefix: string): ClaudeSandbox {
  let root = "";
  let server: ScriptedModelServer | undefined;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), prefix));
    await mkdir(join(root, "work"));
    await mkdir(join(root, "home"));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(root, { recursive: true, force: true });
  });
  return {
    get root() {
      return root;
    },
    get cwd() {
      return join(root, "work");
    },
    get home() {
      return join(root, "home");
    },
    async startModel(script) {
      server = await startScriptedModelServer({ script });
      return server;
    },
  };
}
