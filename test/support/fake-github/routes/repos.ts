/**
 * Repository metadata and a user's permission. The permission answer follows GitHub: `permission`
 * is one of admin/write/read/none (maintain reads as write, triage as read), `role_name` is the
 * precise role; a public repository gives everyone at least read.
 */
import { fullRepositoryShape, userShape } from "../shapes/accounts.js";
import type { Permission } from "../state.js";
import { notFound, repoOf, type RouteTable } from "./route-types.js";

export const repoRoutes: RouteTable = {
  "GET /repos/{owner}/{repo}": (request) => {
    const repo = repoOf(request);
    return { status: 200, body: fullRepositoryShape(request.ctx, repo) };
  },

  "GET /repos/{owner}/{repo}/collaborators/{username}/permission": (request) => {
    const repo = repoOf(request);
    const login = request.params.username ?? "";
    const account = request.ctx.state.accounts.get(login);
    if (account === undefined) throw notFound();
    const role: Permission = repo.permissions.get(login) ?? (repo.private ? "none" : "read");
    const permission = role === "maintain" ? "write" : role === "triage" ? "read" : role;
    const rank = ["none", "read", "triage", "write", "maintain", "admin"].indexOf(role);
    return {
      status: 200,
      body: {
        permission,
        role_name: role === "none" ? "none" : role,
        user: {
          ...userShape(request.ctx, account),
          permissions: {
            pull: rank >= 1,
            triage: rank >= 2,
            push: rank >= 3,
            maintain: rank >= 4,
            admin: rank >= 5,
          },
          role_name: role,
        },
      },
    };
  },
};
