import { $, busy } from './dom.js';

// The checkbox sets the cookie that the server's AdminGuard reads (a stand-in for a real session).
const box = $('#admin');
box.checked = /(?:^|;\s*)sample_admin=yes(?:;|$)/.test(document.cookie);
box.addEventListener('change', () => {
  const expiry = box.checked ? '' : '; max-age=0';
  document.cookie = `sample_admin=yes; path=/; SameSite=Strict${expiry}`;
});

$('#admin-task').addEventListener('click', (event) => {
  $('#admin-result').textContent = '';
  const call = busy(event.target, sjxComet.request('rebuild_index'));
  call.catch((error) => {
    const outcome = error.status === 403 ? 'Refused' : 'Failed';
    $('#admin-result').textContent = `${outcome} (${error.status}): ${error.message}`;
  });
});
