// JSON schemas every route plugin shares: the one error body all of hangar's HTTP errors use, and a numeric `:id`.
export const errorSchema = {
  type: "object",
  properties: { statusCode: { type: "integer" }, code: { type: "string" }, message: { type: "string" } },
  required: ["statusCode", "code", "message"],
} as const;

export const errorResponses = { "4xx": errorSchema, "5xx": errorSchema } as const;

export const idParams = {
  type: "object",
  properties: { id: { type: "integer", minimum: 1 } },
  required: ["id"],
} as const;
