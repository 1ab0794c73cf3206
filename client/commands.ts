import type { CommandProcessor, SijaxCommand } from './types';
import { each, sjxError } from './util';

type Props = Record<string, unknown>;

/** Adds the current value to the new one like the original: replace, append, anything else prepends. */
const combine = (c: SijaxCommand, current: unknown): unknown =>
  c.setType === 'replace'
    ? c.value
    : c.setType === 'append'
      ? String(current) + String(c.value)
      : String(c.value) + String(current);

// Numbers become pixels except for these properties (camelCase or dashed).
const UNITLESS =
  /^(opacity|z-?index|font-?weight|line-?height|zoom|order|flex(-?grow|-?shrink)?)$/i;
// What the server's `redirect(uri)` produces; handled without eval so it works under a strict CSP.
const REDIRECT = /^\s*window\.location\s*=\s*("(?:[^"\\]|\\.)*")\s*;?\s*$/;

const html: CommandProcessor = (c) =>
  each(c.selector, (el) => {
    const markup = String(c.html);
    if (c.setType === 'replace') el.innerHTML = markup;
    else el.insertAdjacentHTML(c.setType === 'append' ? 'beforeend' : 'afterbegin', markup);
  });

/** Property semantics like jQuery `.prop`; plain attributes when the element has no such property. */
const attr: CommandProcessor = (c) =>
  each(c.selector, (el) => {
    const key = String(c.key);
    const prop = key === 'class' ? 'className' : key === 'for' ? 'htmlFor' : key;
    if (prop in el) {
      (el as unknown as Props)[prop] = combine(c, (el as unknown as Props)[prop]);
    } else {
      el.setAttribute(key, String(combine(c, el.getAttribute(key) ?? '')));
    }
  });

const css: CommandProcessor = (c) =>
  each(c.selector, (el) => {
    const key = String(c.key);
    const value = typeof c.value === 'number' && !UNITLESS.test(key) ? c.value + 'px' : c.value;
    if (key.includes('-')) el.style.setProperty(key, String(value));
    else (el.style as unknown as Props)[key] = value;
  });

const script: CommandProcessor = (c) => {
  const js = String(c.script);
  const redirect = REDIRECT.exec(js);
  // `script` is eval by design (the original's); CSP pages use `call` or custom commands instead.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  if (!redirect) return void (new Function('params', js) as (params: SijaxCommand) => void)(c);
  const url = new URL(JSON.parse(redirect[1]) as string, location.href);
  if (url.protocol === 'javascript:') throw sjxError('Refused javascript: redirect');
  location.href = url.href;
};

/** Resolves `a.b.fn` from window without eval and calls it with `this` = `a.b`. */
const call: CommandProcessor = (c) => {
  let owner: unknown;
  let fn: unknown = window;
  for (const part of String(c.call).split('.')) {
    owner = fn;
    fn = fn == null ? undefined : (fn as Props)[part];
  }
  if (typeof fn !== 'function') throw sjxError('Not a function: ' + String(c.call));
  fn.apply(owner, (c.params as unknown[]) || []);
};

/** The built-in processors; `Sijax.registerCommand` adds to (or overrides) them. */
export const processors = new Map<string, CommandProcessor>(
  Object.entries({
    alert: (c) => alert(c.alert),
    html,
    attr,
    css,
    script,
    remove: (c) => each(c.remove, (el) => el.remove()),
    call,
    error: (c) => {
      throw sjxError(String(c.error), Number(c.status) || 0, (c.name as string) || 'SijaxError');
    },
    return: (c, context) => {
      if (context) context.value = c.value;
    },
  } satisfies Record<string, CommandProcessor>),
);
