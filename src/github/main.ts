// The server's entry (the container runs `node dist/github/main.js`); `orchestrator serve` is the same.
import { runServer } from "./run-server.js";

process.exitCode = await runServer({ env: process.env, stderr: (text) => void process.stderr.write(text) });
