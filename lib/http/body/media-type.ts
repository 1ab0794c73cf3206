/** A parsed `Content-Type` value: `type/subtype` lowercased, parameter names lowercased. */
export interface MediaType {
  type: string;
  params: Map<string, string>;
}

/** Longest header value parsed; real ones are far shorter, and this bounds the work. */
export const MAX_MEDIA_TYPE_LENGTH = 1024;

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const TCHAR = new Uint8Array(128);
for (let i = 0; i < TCHARS.length; i++) TCHAR[TCHARS.charCodeAt(i)] = 1;

const isTchar = (code: number): boolean => code < 128 && TCHAR[code] === 1;
const isWhitespace = (code: number): boolean => code === 0x20 || code === 0x09;
/** qdtext and the escaped octet of a quoted-pair (RFC 9110 5.6.4): HTAB, SP, VCHAR, obs-text. */
const isQuotable = (code: number): boolean =>
  code === 0x09 || (code >= 0x20 && code !== 0x7f && code <= 0xff);

/**
 * Parses a `Content-Type` value (RFC 9110 8.3.1) in one pass, without regular expressions.
 * Returns undefined when it is missing, longer than 1 KiB, malformed or repeats a parameter.
 */
export function parseMediaType(header: string | undefined): MediaType | undefined {
  if (header === undefined || header.length > MAX_MEDIA_TYPE_LENGTH) return undefined;
  let pos = skipWhitespace(header, 0);
  const typeEnd = skipToken(header, pos);
  if (typeEnd === pos || header.charCodeAt(typeEnd) !== 0x2f /* / */) return undefined;
  const subtypeEnd = skipToken(header, typeEnd + 1);
  if (subtypeEnd === typeEnd + 1) return undefined;
  const type = header.slice(pos, subtypeEnd).toLowerCase();
  const params = new Map<string, string>();
  pos = skipWhitespace(header, subtypeEnd);
  while (pos < header.length) {
    if (header.charCodeAt(pos) !== 0x3b /* ; */) return undefined;
    pos = skipWhitespace(header, pos + 1);
    if (pos === header.length || header.charCodeAt(pos) === 0x3b) continue; // empty parameter
    const nameEnd = skipToken(header, pos);
    if (nameEnd === pos || header.charCodeAt(nameEnd) !== 0x3d /* = */) return undefined;
    const name = header.slice(pos, nameEnd).toLowerCase();
    const value = readValue(header, nameEnd + 1);
    if (value === undefined || params.has(name)) return undefined; // a repeat is ambiguous
    params.set(name, value.text);
    pos = skipWhitespace(header, value.end);
  }
  return { type, params };
}

function skipWhitespace(text: string, pos: number): number {
  while (pos < text.length && isWhitespace(text.charCodeAt(pos))) pos++;
  return pos;
}

function skipToken(text: string, pos: number): number {
  while (pos < text.length && isTchar(text.charCodeAt(pos))) pos++;
  return pos;
}

/** A token or a quoted-string (unquoted, backslash escapes resolved) starting at `pos`. */
function readValue(text: string, pos: number): { text: string; end: number } | undefined {
  if (text.charCodeAt(pos) !== 0x22 /* " */) {
    const end = skipToken(text, pos);
    return end === pos ? undefined : { text: text.slice(pos, end), end };
  }
  let value = '';
  let start = ++pos; // runs without escapes are copied in one slice
  while (pos < text.length) {
    const code = text.charCodeAt(pos);
    if (code === 0x22) return { text: value + text.slice(start, pos), end: pos + 1 };
    if (code === 0x5c /* \ */) {
      if (pos + 1 === text.length || !isQuotable(text.charCodeAt(pos + 1))) return undefined;
      value += text.slice(start, pos);
      start = pos + 1;
      pos += 2;
    } else if (isQuotable(code)) pos++;
    else return undefined;
  }
  return undefined; // unterminated
}
