/** How many arguments a function takes, read from its source (JS keeps no count of defaults). */
export interface ParameterCount {
  /** Parameters before the first default or rest parameter (`Function.length`). */
  required: number;
  /** Named parameters, rest excluded. */
  total: number;
  /** Ends with `...rest`. */
  rest: boolean;
}

const OPEN = '([{';
const CLOSE = ')]}';

/** Counts top-level parameters by scanning the source's parameter list. */
export function countParameters(fn: (...args: never[]) => unknown): ParameterCount {
  const source = Function.prototype.toString.call(fn);
  const start = source.indexOf('(');
  const arrow = source.indexOf('=>');
  if (start < 0 || (arrow >= 0 && arrow < start)) {
    // `x => ...`: one bare parameter.
    return { required: fn.length, total: 1, rest: false };
  }
  let depth = 0;
  let quote = '';
  let segment = '';
  const params: string[] = [];
  for (let i = start + 1; i < source.length; i++) {
    const char = source[i];
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = '';
      continue;
    }
    if (char === '"' || char === "'" || char === '`') quote = char;
    else if (OPEN.includes(char)) depth++;
    else if (CLOSE.includes(char) && depth-- === 0) break;
    if (char === ',' && depth === 0) {
      params.push(segment.trim());
      segment = '';
    } else segment += char;
  }
  params.push(segment.trim());
  const named = params.filter((param) => param.length > 0);
  const rest = named.length > 0 && named[named.length - 1].startsWith('...');
  return { required: fn.length, total: rest ? named.length - 1 : named.length, rest };
}

/** Why `count` browser arguments do not fit a handler taking `min` to `max`, if they don't. */
export function argumentCountProblem(min: number, max: number, count: number): string | undefined {
  if (count >= min && count <= max) return undefined;
  const expected =
    min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
  return `expected ${expected} argument(s), got ${count}`;
}
