// The server serves the client at `{path}/sijax.js` and answers calls at `{path}`.
const script = document.currentScript as HTMLScriptElement | null;
const fromScript = script && /^(.*)\/sijax\.js([?#].*)?$/.exec(script.src);
let requestUri = fromScript ? fromScript[1] : '/sijax';
let csrfToken: string | undefined;

export const setRequestUri = (uri: string): void => {
  requestUri = uri;
};

export const getRequestUri = (): string => requestUri;

/** `null` clears a token set here, so the meta tag and the cookie are read again. */
export const setCsrfToken = (token: string | null): void => {
  csrfToken = token || undefined;
};

/** The token set here, else `<meta name="sijax-csrf-token">`, else the `sijax_csrf` cookie. */
export function getCsrfToken(): string | undefined {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="sijax-csrf-token"]');
  const cookie = /(?:^|;\s*)sijax_csrf=([^;]*)/.exec(document.cookie);
  return csrfToken || meta?.content || (cookie ? decodeURIComponent(cookie[1]) : undefined);
}
