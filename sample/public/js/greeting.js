import { $, busy } from './dom.js';
import { errorSlot } from './errors.js';

const errors = errorSlot($('#card-hello'));

$('#hello').addEventListener('click', () => {
  errors.clear();
  Sijax.request('say_hello', [$('#hello-name').value], { onError: errors.onError });
});

$('#countdown').addEventListener('click', (event) => {
  errors.clear();
  busy(event.target, sjxComet.request('count_down', [5], { onError: errors.onError }));
});
