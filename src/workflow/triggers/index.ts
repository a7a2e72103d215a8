// Public surface of trigger matching: filter patterns and event matching for a workflow's `on` section.
export { compilePattern, matchesFilter, matchesPattern, validatePattern } from "./filter-pattern.js";
export type { CompiledPattern, FilterLists, PatternCompilation } from "./filter-pattern.js";
export { matchEvent } from "./match-event.js";
export type { TriggerDecision, TriggerEvent } from "./match-event.js";
export { defaultActivityTypes } from "./activity-types.js";
export { refForEvent, type EventRef } from "./event-ref.js";
