import { callEnded } from './activity.js';
import { $, busy } from './dom.js';

/** The handle of the run in progress, which Cancel aborts. */
let current;

$('#start').addEventListener('click', (event) => {
  const call = (current = busy(event.target, sjxComet.request('run', [10])));
  $('#cancel').disabled = false;
  call
    .catch((error) => {
      // Other errors are shown by the `sijax:error` listener.
      if (error.name !== 'AbortError') return;
      $('#status').textContent = 'Cancelled';
      callEnded(call.id);
    })
    .finally(() => {
      $('#cancel').disabled = true;
      current = undefined;
    });
});

// Removes the call's iframe: the connection closes, `response.signal` fires on the server.
$('#cancel').addEventListener('click', () => current?.abort());
