/**
 * Real webhook payloads recorded by GitHub (`@octokit/webhooks-examples`), copied and pointed at
 * a test repository and installation. Tests change only what they are about (ids, bodies).
 */
import { createRequire } from "node:module";

interface ExampleGroup {
  name: string;
  examples: Array<Record<string, unknown>>;
}

const require = createRequire(import.meta.url);
const groups = require("@octokit/webhooks-examples") as ExampleGroup[];

export type Payload = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- recorded JSON, edited freely in tests

/** A deep copy of the first recorded `event` payload with `action` (and passing `where`). */
export function examplePayload(
  event: string,
  action: string | undefined,
  where: (payload: Payload) => boolean = () => true,
): Payload {
  const group = groups.find((item) => item.name === event);
  const found = group?.examples.find(
    (example) => (action === undefined || example.action === action) && where(example),
  );
  if (!found) throw new Error(`@octokit/webhooks-examples has no ${event}.${action ?? "*"} example`);
  return structuredClone(found) as Payload;
}

/** Points a payload at `owner/repo` and an installation, as GitHub would deliver it to the App. */
export function forRepository(
  payload: Payload,
  target: { owner: string; repo: string; installationId: number; repositoryId?: number },
): Payload {
  const repository = payload.repository as Payload;
  repository.name = target.repo;
  repository.full_name = `${target.owner}/${target.repo}`;
  repository.owner.login = target.owner;
  if (target.repositoryId !== undefined) repository.id = target.repositoryId;
  payload.installation = { id: target.installationId, node_id: "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMQ==" };
  return payload;
}
