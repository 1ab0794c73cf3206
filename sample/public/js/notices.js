import { $ } from './dom.js';
import { errorSlot } from './errors.js';

const LEVELS = new Set(['info', 'success', 'warning']);
/** How long a notice stays, unless pointed at or focused (its timer waits meanwhile). */
const NOTICE_MS = 5000;
/** The tray in the top bar holds this many; an older one goes when a new one comes. */
const MAX_NOTICES = 3;

/** Removes `item` after NOTICE_MS of being neither hovered nor focused. */
function expire(item) {
  let left = NOTICE_MS;
  let since = 0;
  let timer;
  const run = () => {
    since = performance.now();
    timer = setTimeout(() => item.remove(), left);
  };
  const pause = () => {
    if (timer === undefined) return;
    clearTimeout(timer);
    timer = undefined;
    left -= performance.now() - since;
  };
  const held = () => item.matches(':hover') || item.contains(document.activeElement);
  const resume = () => held() || timer !== undefined || run();
  item.addEventListener('pointerenter', pause);
  item.addEventListener('focusin', pause);
  item.addEventListener('pointerleave', resume);
  // Once the focus has moved on: it may have moved to the other control of the notice.
  item.addEventListener('focusout', () => setTimeout(resume));
  item.style.setProperty('--notice-ms', `${NOTICE_MS}ms`);
  run();
}

/**
 * The custom `notify` command: `{type: 'notify', text, level}`. The notice shows in the top bar's
 * tray, which the page keeps free for it: it covers nothing, and goes by itself or on ×.
 */
Sijax.registerCommand('notify', ({ text, level }) => {
  const item = document.createElement('li');
  item.className = `notice notice-${LEVELS.has(level) ? level : 'info'}`;
  const words = item.appendChild(document.createElement('span'));
  words.className = 'notice-text';
  // Text, not HTML: the server may put user input in a notice.
  words.textContent = String(text);
  item.title = words.textContent;
  const close = item.appendChild(document.createElement('button'));
  close.type = 'button';
  close.className = 'notice-close';
  close.textContent = '×';
  close.setAttribute('aria-label', 'Dismiss the notice');
  close.addEventListener('click', () => item.remove());
  const tray = $('#notices');
  tray.append(item);
  while (tray.children.length > MAX_NOTICES) tray.firstElementChild.remove();
  expire(item);
});

const errors = errorSlot($('#card-notice'));

$('#notice').addEventListener('click', () => {
  errors.clear();
  Sijax.request('send_notice', [$('#notice-level').value], { onError: errors.onError });
});
