/** `sijax_args` decoded, or why it could not be. */
export type ParsedArgs = { args: unknown[] } | { error: string };

/** How the caller wants a streamed answer: SSE frames (fetch), or script chunks (an iframe). */
export type StreamTransport = 'sse' | 'iframe';

/** Follow (`sijax_attach`) or stop (`sijax_cancel`) a resumable call by its id. */
export interface RunRequest {
  readonly kind: 'attach' | 'cancel';
  readonly callId: string;
  /** Attach: the last offset the page has; 0 for everything. */
  readonly after: number;
  readonly transport?: StreamTransport;
  readonly csrfToken?: string;
}

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
   * A re-post of a resumable call: the last offset the page processed (`Last-Event-ID` or
   * `sijax_after`). The call is followed from there, never run again.
   */
  readonly after?: number;
  /** The handler's guards ran already (an upload's, before its body was read). */
  readonly guardsRan?: boolean;
  /**
   * No call id: the original Sijax client, which knows only the original commands. Such calls get
   * no `return` command, and failures as an alert (the `callFailed` event).
   */
  readonly legacy: boolean;
}
