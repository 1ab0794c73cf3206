const UNSAFE = /[<>&\u2028\u2029]/;

/**
 * JSON that is safe inside an HTML `<script>`: `</script>`, `<!--` and line separators cannot break
 * out. These characters only occur inside JSON strings, where `\uXXXX` means the same. One
 * native pass per character kind is faster than a callback per match on HTML payloads.
 */
export function toScriptJson(value: unknown): string {
  return escapeScriptJson(JSON.stringify(value) ?? 'null');
}

/** `toScriptJson` for a JSON text already made (a resumable call's log keeps batches as JSON). */
export function escapeScriptJson(json: string): string {
  if (!UNSAFE.test(json)) return json;
  json = json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
  if (json.includes('&')) json = json.replace(/&/g, '\\u0026');
  if (json.includes('\u2028')) json = json.replace(/\u2028/g, '\\u2028');
  if (json.includes('\u2029')) json = json.replace(/\u2029/g, '\\u2029');
  return json;
}
