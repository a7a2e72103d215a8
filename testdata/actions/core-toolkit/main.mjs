// Main phase: the @actions/core calls a real action makes.
import * as core from "@actions/core";

const who = core.getInput("who", { required: true });
const secret = core.getInput("secret");
core.setSecret(secret);
console.log(`the secret is ${secret}`);
core.setOutput("greeting", `hello ${who}`);
core.saveState("started_for", who);
core.exportVariable("TOOLKIT_EXPORTED", "exported value");
core.addPath("/opt/toolkit/bin");
core.info(`state saved for ${who}`);
