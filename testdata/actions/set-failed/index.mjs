// Fails the step the way most actions do: an error annotation and exit code 1.
import * as core from "@actions/core";

core.setOutput("before_failure", "written");
core.setFailed("the widget is broken");
