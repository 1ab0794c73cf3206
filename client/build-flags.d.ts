/**
 * Set by client/build.mjs (esbuild `define`). The server serves the smallest build its handlers
 * need: without resumable calls or uploads when it has none, so most pages load less.
 */
declare const SIJAX_RESUME: boolean;
declare const SIJAX_UPLOAD: boolean;
