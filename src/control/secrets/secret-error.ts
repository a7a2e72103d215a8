// Faults and refusals of the secrets module, with stable codes (STYLE 3). Messages never contain a secret value.

/** Contract: the codes and the HTTP status each maps to. */
export const SECRET_ERRORS = {
  SECRET_KEY_INVALID: 500,
  SECRET_KEY_FILE_PERMISSIONS: 500,
  SECRET_KEY_MISMATCH: 500,
  SECRET_TAMPERED: 500,
  SECRET_NAME_INVALID: 400,
  SECRET_VALUE_INVALID: 400,
  SECRET_NOT_FOUND: 404,
} as const;

export type SecretErrorCode = keyof typeof SECRET_ERRORS;

export class SecretError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: SecretErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "SecretError";
    this.statusCode = SECRET_ERRORS[code];
  }
}
