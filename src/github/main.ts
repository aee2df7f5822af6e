// The server's entry (the container runs `node dist/github/main.js`); `orchestrator serve` is the same.
import { describeEnvFile, EnvFileError, readDotEnv } from "./env-file.js";
import { runServer } from "./run-server.js";

const stderr = (text: string): void => void process.stderr.write(text);
process.exitCode = await (async () => {
  try {
    stderr(`orchestrator serve: ${describeEnvFile(readDotEnv({ cwd: process.cwd(), env: process.env }))}\n`);
  } catch (error) {
    if (!(error instanceof EnvFileError)) throw error;
    stderr(`orchestrator serve: ${error.message}\n`);
    return 1;
  }
  return runServer({ env: process.env, stderr });
})();
