import { $ } from './dom.js';

/** Shows a failed call once: both the `sijax:error` event and a rejected handle may report it. */
export function showError(id, name, error) {
  if (id && $(`#errors [data-call="${CSS.escape(id)}"]`)) return;
  const item = document.createElement('li');
  // Some errors belong to no call (a refused Comet post says no call id): never merged.
  if (id) item.dataset.call = id;
  item.textContent = `${name} failed: ${error.message}`;
  $('#errors').append(item);
}

document.addEventListener('sijax:error', (event) => {
  const { error, call, id } = event.detail;
  showError(id, call ?? 'Sijax', error);
  // Shown in the page: keep it out of the console.
  event.preventDefault();
});
