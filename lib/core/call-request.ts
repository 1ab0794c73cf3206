/** `sijax_args` decoded, or why it could not be. */
export type ParsedArgs = { args: unknown[] } | { error: string };

/** How the caller wants a streamed answer: SSE frames (fetch), or script chunks (an iframe). */
export type StreamTransport = 'sse' | 'iframe';

/** One call as the browser posted it, read by the HTTP layer. */
export interface CallRequest {
  /** `sijax_rq`: the public function name. */
  readonly name: string;
  readonly args: ParsedArgs;
  /** `sijax_call`: the client's id for this call, echoed in streamed batches. */
  readonly callId?: string;
  /** `sijax_csrf`: a CSRF token sent as a form field. */
  readonly csrfToken?: string;
  /** What the request asked for; undefined when it did not say (the original client). */
  readonly transport?: StreamTransport;
  /**
   * No call id: the original Sijax client, which knows only the original commands. Such calls get
   * no `return` command, and failures as an alert (the `callFailed` event).
   */
  readonly legacy: boolean;
}
