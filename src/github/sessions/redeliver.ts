import { describeApiError, type GitHubClient } from "../github-client.js";
import type { Warning } from "./warnings.js";

/**
 * GitHub does not redeliver a webhook it failed to deliver (the App was down, or answered an
 * error). This asks GitHub, through the App's hook-deliveries API (JWT authentication), to
 * redeliver each delivery since `since` that never succeeded. Attempts per event are capped, so a
 * webhook the App cannot handle is not redelivered forever. Deliveries are kept 3 days.
 */
export async function redeliverFailedDeliveries(args: {
  /** Authenticated as the App (JWT), not as an installation. */
  appClient: GitHubClient;
  since: Date;
  /** Give up on an event after this many failed deliveries (first try included). */
  maxAttempts?: number;
}): Promise<{ checked: number; redelivered: string[]; gaveUp: string[]; warnings: Warning[] }> {
  const maxAttempts = args.maxAttempts ?? 3;
  const byGuid = new Map<string, { ok: boolean; attempts: number; latestId: number; event: string }>();
  let checked = 0;
  // Pages follow GitHub's cursor links; newest first, so the walk stops at the window's edge.
  const pages = args.appClient.paginate.iterator("GET /app/hook/deliveries", { per_page: 100 });
  pages: for await (const page of pages) {
    for (const delivery of page.data) {
      if (Date.parse(delivery.delivered_at) < args.since.getTime()) break pages;
      checked++;
      const ok = delivery.status_code >= 200 && delivery.status_code < 300;
      const known = byGuid.get(delivery.guid);
      if (known) {
        known.ok ||= ok;
        known.attempts++;
      } else {
        byGuid.set(delivery.guid, { ok, attempts: 1, latestId: Number(delivery.id), event: delivery.event });
      }
    }
  }
  const result = { checked, redelivered: [] as string[], gaveUp: [] as string[], warnings: [] as Warning[] };
  for (const [guid, delivery] of byGuid) {
    if (delivery.ok) continue;
    if (delivery.attempts >= maxAttempts) {
      result.gaveUp.push(guid);
      continue;
    }
    try {
      await args.appClient.request("POST /app/hook/deliveries/{delivery_id}/attempts", {
        delivery_id: delivery.latestId,
      });
      result.redelivered.push(guid);
    } catch (error) {
      result.warnings.push({
        message: `could not redeliver ${delivery.event} ${guid}: ${describeApiError(error)}`,
      });
    }
  }
  return result;
}
