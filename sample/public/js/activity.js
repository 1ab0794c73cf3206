import { $ } from './dom.js';

/** A call's name as the page shows it: an attached call (`Sijax.attach`) has none of its own. */
const callName = (detail) => detail.call || 'attached call';

/** Calls running now, by id: their names are shown. */
const running = new Map();

function render() {
  const names = [...running.values()];
  const count = `${names.length} call${names.length === 1 ? '' : 's'} running`;
  $('#activity').textContent = names.length ? `${count}: ${names.join(', ')}` : 'Idle';
  $('#events').classList.toggle('busy', names.length > 0);
}

document.addEventListener('sijax:start', ({ detail }) => {
  running.set(detail.id, callName(detail));
  render();
});

// `sijax:done` fires once for every call, however it ended: a success, an error or an abort.
document.addEventListener('sijax:done', ({ detail }) => {
  if (running.delete(detail.id)) render();
});

/** The latest events, newest first, each with what it says. */
const LOG_LINES = 5;

function log(type, text, failed = false) {
  const item = document.createElement('li');
  const name = item.appendChild(document.createElement('span'));
  name.className = 'type';
  name.textContent = type;
  // Text, never HTML: error messages come from the server.
  item.append(' ', text);
  if (failed) item.classList.add('failed');
  const list = $('#event-log');
  list.prepend(item);
  while (list.children.length > LOG_LINES) list.lastElementChild.remove();
}

document.addEventListener('sijax:start', ({ detail }) => log('sijax:start', callName(detail)));
document.addEventListener('sijax:done', ({ detail }) => {
  const { error } = detail;
  const outcome = !error ? 'ok' : error.name === 'AbortError' ? 'aborted' : 'failed';
  log('sijax:done', `${callName(detail)}, ${outcome}`, outcome === 'failed');
});
// Each card shows its own calls' errors (their onError); this is the page-wide view of them.
document.addEventListener('sijax:error', ({ detail }) => {
  log('sijax:error', `${callName(detail)}: ${detail.error.message}`, true);
});
document.addEventListener('sijax:reconnect', ({ detail }) => {
  log('sijax:reconnect', `${callName(detail)}, try ${detail.attempt} after batch ${detail.after}`);
});
