import { $, busy } from './dom.js';
import { errorSlot } from './errors.js';

const errors = errorSlot($('#card-admin'));

// The checkbox sets the cookie that the server's AdminGuard reads (a stand-in for a real session).
const box = $('#admin');
box.checked = /(?:^|;\s*)sample_admin=yes(?:;|$)/.test(document.cookie);
box.addEventListener('change', () => {
  const expiry = box.checked ? '' : '; max-age=0';
  document.cookie = `sample_admin=yes; path=/; SameSite=Strict${expiry}`;
});

$('#admin-task').addEventListener('click', (event) => {
  errors.clear();
  $('#admin-result').textContent = '';
  // A refusal (403) shows in the card: the guard ran before the handler, which never started.
  busy(event.target, sjxComet.request('rebuild_index', [], { onError: errors.onError }));
});
