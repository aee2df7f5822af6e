/** Shapes of the App's webhook deliveries (`hook-delivery-item`, `hook-delivery`). */
import type { FakeHookDelivery } from "../state.js";

export function hookDeliveryItemShape(delivery: FakeHookDelivery): Record<string, unknown> {
  return {
    id: delivery.id,
    guid: delivery.guid,
    delivered_at: delivery.deliveredAt,
    redelivery: delivery.redelivery,
    duration: 0.27,
    status: delivery.statusCode >= 200 && delivery.statusCode < 300 ? "OK" : statusText(delivery.statusCode),
    status_code: delivery.statusCode,
    event: delivery.event,
    action: delivery.action,
    installation_id: delivery.installationId,
    repository_id: delivery.repositoryId,
    throttled_at: null,
  };
}

export function hookDeliveryShape(delivery: FakeHookDelivery, apiUrl: string): Record<string, unknown> {
  return {
    ...hookDeliveryItemShape(delivery),
    url: `${apiUrl}/app/hook/deliveries/${delivery.id}`,
    request: {
      headers: {
        "X-GitHub-Delivery": delivery.guid,
        "X-GitHub-Event": delivery.event,
        "Content-Type": "application/json",
      },
      payload: { ...delivery.payload },
    },
    response: { headers: {}, payload: null },
  };
}

function statusText(code: number): string {
  if (code === 0) return "Timed out";
  return code >= 500 ? "Internal Server Error" : "Invalid HTTP Response: " + code;
}
