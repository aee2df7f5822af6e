/** Every route the fake implements, keyed like `POST /repos/{owner}/{repo}/git/refs`. */
import { actionRoutes } from "./actions.js";
import { appRoutes } from "./app.js";
import { checkRoutes } from "./checks.js";
import { conversationRoutes } from "./conversations.js";
import { gitRoutes } from "./git.js";
import { issueGraphRoutes } from "./issue-graph.js";
import { repoRoutes } from "./repos.js";
import { reviewRoutes } from "./reviews.js";
import type { RouteTable } from "./route-types.js";
import { stackRoutes } from "./stacks.js";

export const allRoutes: RouteTable = {
  ...appRoutes,
  ...repoRoutes,
  ...gitRoutes,
  ...checkRoutes,
  ...actionRoutes,
  ...conversationRoutes,
  ...issueGraphRoutes,
  ...stackRoutes,
  ...reviewRoutes,
};
