/**
 * Endpoints the App calls as itself (JWT): its own description, installations, installation
 * tokens (1 hour), and webhook deliveries; and, with an installation token, the installation's
 * repositories. Redelivering (`POST .../attempts`) repeats the
 * original `X-GitHub-Delivery` id, as GitHub does. The manifest flow's conversion hands out the
 * App's credentials for a code the test seeded (`state.addManifestCode()`), once.
 */
import { createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { appShape, fullRepositoryShape, installationShape } from "../shapes/accounts.js";
import { hookDeliveryItemShape, hookDeliveryShape } from "../shapes/deliveries.js";
import {
  FakeHttpError,
  intParam,
  notFound,
  paginate,
  repoOf,
  type RouteRequest,
  type RouteTable,
} from "./route-types.js";

export const appRoutes: RouteTable = {
  // No authentication: the code is the credential, good once. The fake has one App, so the
  // conversion registers that App (its id and slug) with a new real RSA key; from then on the
  // fake accepts only JWTs signed with a key it handed out.
  "POST /app-manifests/{code}/conversions": (request) => {
    const state = request.ctx.state;
    const code = request.params.code ?? "";
    if (!state.manifestCodes.delete(code)) throw notFound();
    const pem = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .privateKey.export({ type: "pkcs1", format: "pem" })
      .toString();
    state.appPublicKeys.push(createPublicKey(pem));
    return {
      status: 201,
      body: {
        ...appShape(request.ctx),
        client_secret: randomBytes(20).toString("hex"),
        webhook_secret: randomBytes(20).toString("hex"),
        pem,
      },
    };
  },

  "GET /app": (request) => ({ status: 200, body: appShape(request.ctx) }),

  // GitHub's description of this list (unlike the single GET) types `account` as
  // allOf [simple-user, enterprise] — a quirk of the description. The few enterprise fields are
  // added so the answer satisfies it; clients read only the user fields.
  "GET /app/installations": (request) => ({
    status: 200,
    body: [...request.ctx.state.installations.values()].map((i) => {
      const shape = installationShape(request.ctx, i);
      const account = shape.account as Record<string, unknown>;
      return {
        ...shape,
        account: {
          ...account,
          name: i.account.login,
          slug: i.account.login,
          created_at: i.createdAt,
          updated_at: i.createdAt,
        },
      };
    }),
  }),

  "GET /app/installations/{installation_id}": (request) => {
    const installation = request.ctx.state.installations.get(intParam(request, "installation_id"));
    if (installation === undefined) throw notFound();
    return { status: 200, body: installationShape(request.ctx, installation) };
  },

  "POST /app/installations/{installation_id}/access_tokens": (request) => {
    const state = request.ctx.state;
    const installation = state.installations.get(intParam(request, "installation_id"));
    if (installation === undefined) throw notFound();
    const token = state.mintInstallationToken(installation.id);
    return {
      status: 201,
      body: {
        token: token.token,
        expires_at: token.expiresAt,
        permissions: { ...state.app.permissions, metadata: "read" },
        repository_selection: "all",
      },
    };
  },

  // Only with an installation token: the repositories that installation can see.
  "GET /installation/repositories": (request) => {
    const { auth, ctx } = request;
    if (auth.kind !== "installation") {
      throw new FakeHttpError(
        403,
        "You must authenticate with an installation access token to list repositories.",
      );
    }
    const repos = [...ctx.state.repos.values()]
      .filter((repo) => repo.installationId === auth.installationId)
      .sort((a, b) => a.id - b.id);
    const { page, headers } = paginate({ items: repos, request, path: "/installation/repositories" });
    return {
      status: 200,
      headers,
      body: {
        total_count: repos.length,
        repository_selection: "all",
        repositories: page.map((repo) => fullRepositoryShape(ctx, repo)),
      },
    };
  },

  "GET /repos/{owner}/{repo}/installation": (request) => {
    const repo = repoOf(request);
    const installation = request.ctx.state.installations.get(repo.installationId);
    if (installation === undefined) throw notFound();
    return { status: 200, body: installationShape(request.ctx, installation) };
  },

  // Newest first, cursor-paginated through the `Link` header.
  "GET /app/hook/deliveries": (request) => {
    const q = request.query;
    const perPage = Math.min(100, Math.max(1, Number(q.get("per_page") ?? 30) || 30));
    const cursor = Number(q.get("cursor") ?? Number.POSITIVE_INFINITY);
    const status = q.get("status");
    const matching = [...request.ctx.state.hookDeliveries]
      .sort((a, b) => b.id - a.id)
      .filter((d) => d.id < cursor)
      .filter(
        (d) => status === null || (status === "success") === (d.statusCode >= 200 && d.statusCode < 300),
      );
    const page = matching.slice(0, perPage);
    const last = page.at(-1);
    const headers: Record<string, string> =
      matching.length > perPage && last !== undefined
        ? { link: nextLink(request, { per_page: String(perPage), cursor: String(last.id), status }) }
        : {};
    return { status: 200, headers, body: page.map(hookDeliveryItemShape) };
  },

  "GET /app/hook/deliveries/{delivery_id}": (request) => {
    const delivery = findDelivery(request);
    return { status: 200, body: hookDeliveryShape(delivery, request.ctx.api) };
  },

  // The fake records the redelivery as answered 200 and puts the webhook in the outbox for the
  // test to deliver; whether the App really accepts it is up to that delivery.
  "POST /app/hook/deliveries/{delivery_id}/attempts": (request) => {
    const original = findDelivery(request);
    const redelivery = request.ctx.state.addHookDelivery({
      event: original.event,
      payload: original.payload,
      statusCode: 200,
      guid: original.guid,
      redelivery: true,
    });
    request.emit({ id: redelivery.guid, name: redelivery.event, payload: { ...redelivery.payload } });
    return { status: 202, body: {} };
  },
};

function findDelivery(request: RouteRequest): ReturnType<RouteRequest["ctx"]["state"]["addHookDelivery"]> {
  const id = intParam(request, "delivery_id");
  const delivery = request.ctx.state.hookDeliveries.find((d) => d.id === id);
  if (delivery === undefined) throw notFound();
  return delivery;
}

function nextLink(request: RouteRequest, params: Record<string, string | null>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== null) query.set(key, value);
  return `<${request.ctx.api}/app/hook/deliveries?${query.toString()}>; rel="next"`;
}
