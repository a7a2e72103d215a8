// Payload states that GitHub documents as never starting a workflow run, whatever the `on` filters say.

export interface EventVeto {
  event: string;
  /** Path into the webhook payload. */
  path: readonly string[];
  /** The veto applies when the value at `path` equals this. */
  equals: unknown;
  /** When set, the veto applies only to these activity types. */
  activityTypes?: readonly string[];
  reason: string;
}

export const eventVetoes: readonly EventVeto[] = [
  {
    // Events that trigger workflows, deployment_status: "When a deployment status's state is set to
    // inactive, a workflow run will not be triggered."
    event: "deployment_status",
    path: ["deployment_status", "state"],
    equals: "inactive",
    reason: "deployment_status events with state 'inactive' never trigger workflows",
  },
  {
    // Events that trigger workflows, release: "Workflows are not triggered for the created, edited, or
    // deleted activity types for draft releases."
    event: "release",
    path: ["release", "draft"],
    equals: true,
    activityTypes: ["created", "edited", "deleted"],
    reason: "created, edited and deleted activity on draft releases never triggers workflows",
  },
];
