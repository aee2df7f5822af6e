/**
 * Errors of the HTTP API. Every error answer has the same JSON shape,
 * `{ "error": { "code", "message", "field"?, ... } }`, so a phone shortcut can show `message`.
 */
export interface ApiErrorBody {
  code: string;
  message: string;
  /** The request field at fault (400), e.g. `parallel` or `tasks.0.prompt`. */
  field?: string;
  [extra: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(body.message);
    this.name = "ApiError";
  }
}

export function badRequest(code: string, message: string, field?: string): ApiError {
  return new ApiError(400, field === undefined ? { code, message } : { code, message, field });
}

export function notFound(code: string, message: string): ApiError {
  return new ApiError(404, { code, message });
}
