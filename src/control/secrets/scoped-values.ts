// Setting and reading secrets and variables as the CLI and API do: names checked and normalized, secrets sealed.
import { listVariables, putSecret, putVariable, type Store, type ValueScope } from "../../store/index.js";
import { sealSecret } from "./secret-cipher.js";
import type { SecretKeyring } from "./secret-key.js";
import { checkValue, normalizeValueName } from "./value-names.js";

export interface SetValueInput extends ValueScope {
  name: string;
  value: string;
  actor: string;
}

/** Returns the stored (upper-cased) name. */
export async function setSecret(store: Store, keyring: SecretKeyring, input: SetValueInput): Promise<string> {
  const name = normalizeValueName("secret", input.name);
  checkValue("secret", name, input.value);
  const sealed = sealSecret(keyring.primary, { ...input, name }, input.value);
  await putSecret(store, { ...input, name, sealed });
  return name;
}

export async function setVariable(store: Store, input: SetValueInput): Promise<string> {
  const name = normalizeValueName("variable", input.name);
  checkValue("variable", name, input.value);
  await putVariable(store, { ...input, name });
  return name;
}

/** The `vars` context of a job: repository variables overlaid by its environment's. */
export async function resolveVariables(store: Store, scope: ValueScope): Promise<Record<string, string>> {
  const scopes = [{ repositoryId: scope.repositoryId }, ...(scope.environment ? [scope] : [])];
  const vars: Record<string, string> = {};
  for (const each of scopes) {
    for (const variable of await listVariables(store, each)) vars[variable.name] = variable.value;
  }
  return vars;
}
