import { $ } from './dom.js';

/** Calls running now, by id: their names are shown. */
const running = new Map();

function render() {
  const names = [...running.values()];
  const count = `${names.length} call${names.length === 1 ? '' : 's'} running`;
  $('#activity').textContent = names.length ? `${count}: ${names.join(', ')}` : 'Idle';
}

document.addEventListener('sijax:start', ({ detail }) => {
  running.set(detail.id, detail.call);
  render();
});

// A failed call fires `sijax:error` and no `sijax:done`.
for (const type of ['sijax:done', 'sijax:error']) {
  document.addEventListener(type, ({ detail }) => callEnded(detail.id));
}

/** An aborted call fires no event at all: the code that aborts it reports its end here. */
export function callEnded(id) {
  if (running.delete(id)) render();
}
