import { $, busy } from './dom.js';
import { showError } from './errors.js';

$('#fail').addEventListener('click', (event) => {
  const call = busy(event.target, sjxComet.request('failing'));
  call.catch((error) => showError(call.id, 'failing', error));
});
