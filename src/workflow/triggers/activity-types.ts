// Activity types per event (GitHub docs "Events that trigger workflows"): defaults and where the payload names them.

/**
 * Events whose default `types` are narrower than "all". Every other event runs for all of its activity
 * types when `types` is absent ("By default, all activity types trigger workflows that run on this event").
 */
export const defaultActivityTypes: Readonly<Record<string, readonly string[]>> = {
  // "By default, a workflow only runs when a pull_request event's activity type is opened, synchronize, or
  // reopened." The same sentence is documented for pull_request_target.
  pull_request: ["opened", "synchronize", "reopened"],
  pull_request_target: ["opened", "synchronize", "reopened"],
};

/**
 * Payload fields holding the activity type, first present wins. Webhooks put it in `action`; a
 * repository_dispatch request names it `event_type`, which GitHub copies to `action`.
 */
const activityTypeFields: Readonly<Record<string, readonly string[]>> = {
  repository_dispatch: ["action", "event_type"],
};

const defaultActivityTypeFields: readonly string[] = ["action"];

export function readActivityType(eventName: string, payload: Record<string, unknown>): string | undefined {
  for (const field of activityTypeFields[eventName] ?? defaultActivityTypeFields) {
    const value = payload[field];
    if (typeof value === "string") return value;
  }
  return undefined;
}
