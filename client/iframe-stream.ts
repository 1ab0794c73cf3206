import { FIELD_AFTER, FIELD_CALL_ID, FIELD_CSRF } from '../lib/protocol/wire-names';
import type { Call } from './calls';
import { getCsrfToken, getRequestUri } from './config';

function hidden<K extends 'iframe' | 'form'>(tag: K, id: string): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  el.id = el.name = id;
  el.style.display = 'none';
  return el;
}

/**
 * The iframe transport of a Comet call (the original's): a form posted into a hidden iframe. The
 * server streams `<script>window.parent.Sijax.processCommands([...], id)</script>` chunks;
 * `load` means it stopped: the end, or, for a resumable call without its end marker, a cut
 * (`onCut` decides). Returns what stops it: removing the iframe closes the connection.
 */
export function iframeStream(
  call: Call,
  fields: Record<string, string>,
  after: number | undefined,
  onCut: () => void,
): () => void {
  const suffix = `4_${call.name}_${call.id}`;
  const frame = hidden('iframe', 'frame' + suffix);
  const form = hidden('form', 'form' + suffix);
  const remove = () => (frame.remove(), form.remove());
  const token = getCsrfToken();
  const posted = { ...fields };
  if (token) posted[FIELD_CSRF] = token;
  if (SIJAX_RESUME && after !== undefined) posted[FIELD_AFTER] = String(after);
  for (const [key, value] of Object.entries(posted)) {
    const input = form.appendChild(document.createElement('input'));
    input.type = 'hidden';
    input.name = key;
    input.value = value;
  }
  form.method = 'post';
  form.target = frame.name;
  // The id in the URL too: a refusal before the body is read still reaches this call.
  const url = call.options.url || getRequestUri();
  form.action = url + (url.includes('?') ? '&' : '?') + FIELD_CALL_ID + '=' + call.id;
  document.body.append(frame, form);
  // Listen only now: appending the iframe fires a load event for about:blank.
  frame.addEventListener('load', () => {
    if (SIJAX_RESUME && call.resumable && !call.ended && !call.error) onCut();
    else call.settle();
    // Removing during the load event made Chrome log "Failed to load resource".
    setTimeout(remove, 0);
  });
  form.submit();
  return remove;
}
