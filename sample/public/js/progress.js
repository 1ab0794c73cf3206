import { $, busy } from './dom.js';
import { errorSlot } from './errors.js';

const errors = errorSlot($('#card-progress'));

/** The handle of the run in progress, which Cancel aborts. */
let current;

$('#start').addEventListener('click', (event) => {
  errors.clear();
  const call = sjxComet.request('run', [10], { onError: errors.onError });
  current = busy(event.target, call);
  $('#cancel').disabled = false;
  call
    .catch((error) => {
      // Other errors show in the card, through onError.
      if (error.name === 'AbortError') $('#status').textContent = 'Cancelled';
    })
    .finally(() => {
      $('#cancel').disabled = true;
      current = undefined;
    });
});

// Removes the call's iframe: the connection closes, `response.signal` fires on the server.
$('#cancel').addEventListener('click', () => current?.abort());
