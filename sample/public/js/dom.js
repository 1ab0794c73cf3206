export const $ = (selector) => document.querySelector(selector);

/** Disables `button` while `call` runs; returns the call. */
export function busy(button, call) {
  button.disabled = true;
  const enable = () => (button.disabled = false);
  call.then(enable, enable);
  return call;
}
