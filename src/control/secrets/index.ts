// The secrets module: the key, sealing, naming rules, and which secrets and variables a job gets.
export { SecretError, SECRET_ERRORS, type SecretErrorCode } from "./secret-error.js";
export {
  SecretKeyring,
  secretKeyEnv,
  secretKeyFileName,
  nextSecretKeyFileName,
  type KeyringSource,
  type SecretKey,
} from "./secret-key.js";
export { sealSecret, openSecret, type SecretAddress } from "./secret-cipher.js";
export { normalizeValueName, maxValueBytes } from "./value-names.js";
export { setSecret, setVariable, resolveVariables, type SetValueInput } from "./scoped-values.js";
export { resolveJobSecrets, isSecretsWithheld, type JobSecretsQuery } from "./resolve-job-secrets.js";
export { rotateSecretKey, type RotateOptions, type RotateResult } from "./rotate-secret-key.js";
export { prepareRunExposure, type RunExposure } from "./run-exposure.js";
