// Post phase: reads back what main saved with core.saveState.
import * as core from "@actions/core";

core.setOutput("post_saw", core.getState("started_for"));
console.log(`post ran for ${core.getState("started_for")}`);
