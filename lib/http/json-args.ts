import type { ParsedArgs } from '../core/call-request';
import { ARGS_NOT_ARRAY, ARGS_NOT_JSON, ARGS_TOO_DEEP } from '../sijax.messages';

/** A key that may reach a prototype; `\u` escapes can spell one too (`"\u005f_proto__"`). */
const DANGEROUS_KEY = /"(?:__proto__|constructor|prototype)"\s*:|\\u/;

/** Drops keys that could reach an object's prototype when a handler merges the arguments. */
function withoutDangerousKeys(key: string, value: unknown): unknown {
  return key === '__proto__' || key === 'constructor' || key === 'prototype' ? undefined : value;
}

/** Deepest bracket nesting of a JSON text, so a hostile body cannot exhaust the stack. */
function nestingDepth(json: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const code = json.charCodeAt(i);
    if (inString) {
      if (code === 92)
        i++; // backslash
      else if (code === 34) inString = false;
    } else if (code === 34) inString = true;
    else if (code === 91 || code === 123) max = Math.max(max, ++depth);
    else if (code === 93 || code === 125) depth--;
  }
  return max;
}

/** True when `value` nests deeper than `max` levels; iterative, so depth cannot overflow it. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Decodes `sijax_args`: a JSON array, at most `maxDepth` deep, without prototype keys. */
export function parseJsonArgs(json: string, maxDepth: number): ParsedArgs {
  if (json.length > maxDepth * 2 && nestingDepth(json) > maxDepth) {
    return { error: ARGS_TOO_DEEP(maxDepth) };
  }
  let value: unknown;
  try {
    value = DANGEROUS_KEY.test(json) ? JSON.parse(json, withoutDangerousKeys) : JSON.parse(json);
  } catch {
    return { error: ARGS_NOT_JSON };
  }
  return Array.isArray(value) ? { args: value } : { error: ARGS_NOT_ARRAY };
}
