import { $, busy } from './dom.js';
import { errorSlot } from './errors.js';

const errors = errorSlot($('#card-fail'));

$('#fail').addEventListener('click', (event) => {
  errors.clear();
  // The steps the server sent stay; its error, a generic message, shows beside the button.
  busy(event.target, sjxComet.request('failing', [], { onError: errors.onError }));
});
