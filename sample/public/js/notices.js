import { $ } from './dom.js';

const LEVELS = new Set(['info', 'success', 'warning']);

/** The custom `notify` command: `{type: 'notify', text, level}`, shown until dismissed. */
Sijax.registerCommand('notify', ({ text, level }) => {
  const item = document.createElement('li');
  item.className = `notice notice-${LEVELS.has(level) ? level : 'info'}`;
  // Text, not HTML: the server may put user input in a notice.
  item.textContent = String(text);
  const close = item.appendChild(document.createElement('button'));
  close.type = 'button';
  close.textContent = '×';
  close.setAttribute('aria-label', 'Dismiss');
  close.addEventListener('click', () => item.remove());
  $('#notices').append(item);
});

$('#notice').addEventListener('click', () => {
  Sijax.request('send_notice', [$('#notice-level').value]);
});
