// The shared vocabulary every module may use, each word defined once. A leaf: it imports nothing of ours.
export * from "./statuses.js";
export * from "./events.js";
